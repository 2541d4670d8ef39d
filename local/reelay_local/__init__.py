"""Development-only tooling: Creatify simulator, embedded stack, the reelay CLI. Never shipped."""
