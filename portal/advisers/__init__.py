"""The adviser console: a queue of callbacks, messages and chats, and the customer in front of the adviser."""
