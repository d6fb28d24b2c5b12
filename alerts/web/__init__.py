"""The subscriber-facing web app: Slack's endpoints and the e-mail subscription pages."""
