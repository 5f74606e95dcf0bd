"""The agent desktop: the sign-in window, the main window and the incoming-call panel."""
