"""The scheduler: every meeting gets its moment on time, exactly once, across replicas and crashes."""
