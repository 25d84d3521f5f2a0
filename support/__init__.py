"""The help desk (service requests from traders, answered within a service level) and the
one-question satisfaction rating offered after release."""
