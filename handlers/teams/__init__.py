"""The Microsoft Teams door, on Microsoft's Teams SDK for Python (microsoft-teams-apps)."""
