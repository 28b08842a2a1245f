"""SES/AWS helpers of the pure core: SMTP credentials derived from an access key, readiness checks."""
