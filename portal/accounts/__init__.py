"""Customer accounts: the thing a customer, carer or adviser acts on."""
