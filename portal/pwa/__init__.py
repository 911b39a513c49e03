"""The installable app: the web app manifest, its icons, the service worker and the offline page."""
