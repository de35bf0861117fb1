"""Alerts as code: the alarm catalog, its renderers (Terraform JSON, Grafana), the backtester and
the Chatbot notification formatter. See alerts/README.md."""
