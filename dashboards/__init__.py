"""Grafana dashboards as code: grafanalib definitions, deterministic render, publish to Grafana."""
