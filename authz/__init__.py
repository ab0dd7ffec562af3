"""Access control: who the caller is (auth, tokens), what they may do (enforcer), which rows
(scoping) and which fields unmasked (masking). The only package that imports casbin.

- `authz.auth`: authenticate, resolve_subject, subject_for_api_key, subject_of
- `authz.tokens`: issue_token, verify_token, TokenConfig, TokenError
- `authz.enforcer`: Authorizer (ensure_current, or ensure_version with the version read
  alongside the caller, once per request)
- `authz.scoping`: customer_filter, loan_filter, ... as Tortoise Q filters
- `authz.masking`: mask_id_number, mask_phone, mask_bank_account, looks_sensitive
"""
