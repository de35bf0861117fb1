"""The names that several steps of the platform must agree on.

Metric namespaces, names and dimensions, log field names, index names and service names are
defined here once. The function and the shipper import this package at run time (their Lambda
packages include it); alerts/ and dashboards/ import it at render time; infra/ receives the names
through rendered files. Nothing else is shared between the Lambdas, so this package has no
dependencies beyond the standard library and must stay cheap to import.
"""
