"""Who may do what: API tokens and principals, the access policy, maker-checker approvals."""
