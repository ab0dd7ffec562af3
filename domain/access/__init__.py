"""Access data and rules that need no Casbin: accounts, API keys, stored policy, audit log."""
