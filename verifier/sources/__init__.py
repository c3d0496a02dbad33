"""Where a verifier gets what it checks against: keys, status lists, compromised keys,
credentials behind verify URLs; one bounded fetcher and the offline cache they share.
"""
