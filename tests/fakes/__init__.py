"""Fakes of services that have no local emulator (Managed Grafana), following their public API."""
