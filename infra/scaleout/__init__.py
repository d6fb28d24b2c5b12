"""Scale-out on one machine: the DAGs on the CeleryExecutor against many loopback publishers."""
