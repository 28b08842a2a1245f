"""Keeping the email flowing: alarm definitions, DNS authentication checks and the
deliverability report (pure Python; boto3 and dnspython only where a live system is read)."""
