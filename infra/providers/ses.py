"""AWS SES (`aws-ses` and `ses-smtp`): domain identity, DNS, events, and a send-only sender.

Created per tenant (SESv2 resources of pulumi_aws, each in the provider's region):
- `sesv2.EmailIdentity` for the domain with Easy DKIM 2048-bit, and its three DKIM CNAMEs;
- `sesv2.EmailIdentityMailFromAttributes`: MAIL FROM `<mailFromSubdomain>.<domain>` with its MX
  and SPF; DMARC at `_dmarc.<domain>`. Never a TXT on the domain itself (an SPF there is yours);
- `sesv2.ConfigurationSet` with suppression of bounced/complained addresses, and
  (events.enabled) bounce/complaint/reject/delay events to an `sns.Topic` whose policy lets only
  this configuration set and identity publish; with bounces and complaints on that topic the
  identity's feedback forwarding (emails to the sender) is turned off;
- (alarms.enabled) an alerts `sns.Topic` with the declared subscribers (email, HTTPS webhook) and
  CloudWatch alarms on the account's bounce and complaint rates (warning, review, pause risk)
  and on the configuration set's rejects (counted through a CloudWatch event destination);
- (suppression.accountLevel) the account-wide suppression reasons;
- an `iam.User` whose only permission (inline `iam.UserPolicy`) is ses:SendEmail and
  ses:SendRawEmail on this identity and configuration set, for this sender address only;
- its `iam.AccessKey`, copied into a Secrets Manager secret.

Key rotation without an outage: the key's resource name carries `keyRotation`
(`<tenant>-ses-sender-key-<n>`). Bumping n makes key n a *new* resource and key n-1 a
*removed* one. Pulumi creates new resources while walking the program, updates the connector
(which depends on the new key through its config) after the key exists, and deletes removed
resources only at the end of a successful update. So: new key → connector updated → old key
deleted. If the connector update fails, the update stops before any deletion and the old key
keeps working (not under `--continue-on-error`). IAM allows two keys per user, exactly this.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pulumi
import pulumi_aws as aws

from connectors.aws.ses_smtp import smtp_password
from connectors.deliverability.alarms import (
    CONFIG_SET_DIMENSION,
    METRICS_DESTINATION,
    NAMESPACE,
    alerts_topic_name,
    all_alarms,
    configuration_set_name,
)
from connectors.dns_records import (
    Record,
    dkim_records,
    mail_from_domain,
    mail_from_records,
)
from connectors.stack.models import AwsSesProvider, SesSmtpProvider, TenantSpec
from infra.providers.base import PlannedRecord, ProviderResult, secret
from infra.providers.dns import check_in_zone, dmarc_planned, known, publish
from infra.readiness import ses_readiness

SEND_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]


def send_only_policy(identity_arn: str, configuration_set_arn: str, sender: str) -> str:
    """The sender's whole permission set: send, as `sender`, through this identity and set."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "SendAsLogtoSenderOnly",
                    "Effect": "Allow",
                    "Action": SEND_ACTIONS,
                    "Resource": [identity_arn, configuration_set_arn],
                    "Condition": {"StringEquals": {"ses:FromAddress": sender}},
                }
            ],
        },
        sort_keys=True,
    )


def topic_policy(topic_arn: str, *source_arns: str) -> str:
    """Only SES, and only on behalf of these resources (configuration set, identity), may publish."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "SesEventsFromThisConfigurationSet",
                    "Effect": "Allow",
                    "Principal": {"Service": "ses.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"AWS:SourceArn": list(source_arns) if len(source_arns) > 1 else source_arns[0]}},
                }
            ],
        },
        sort_keys=True,
    )


def _dkim_record(domain: str, index: int, tokens: list[str]) -> Record:
    return dkim_records(domain, [tokens[index]])[0]


def dkim_tokens(attributes: Any, domain: str) -> list[str]:
    """Easy DKIM always yields three tokens; anything else is a provider problem worth stopping for."""
    tokens = list(getattr(attributes, "tokens", None) or [])
    if len(tokens) != 3:
        raise pulumi.RunError(f"SES returned {len(tokens)} DKIM tokens for {domain}, expected 3")
    return tokens


class SesDomain(pulumi.ComponentResource):
    """One tenant's SES sending setup; `generated` feeds the Logto connector config."""

    def __init__(
        self,
        name: str,
        *,
        tenant_key: str,
        tenant: TenantSpec,
        production: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("logto-email:providers:AwsSes", name, None, opts)
        p = tenant.provider
        assert isinstance(p, (AwsSesProvider, SesSmtpProvider))
        assert tenant.sender is not None
        child = pulumi.ResourceOptions(parent=self)
        region, domain, sender = p.region, p.domain, tenant.sender.email
        tags = {"logto-email:tenant": tenant_key}
        check_in_zone(name, domain, p.dns)

        # Identity with Easy DKIM, 2048-bit keys.
        self.identity = aws.sesv2.EmailIdentity(
            f"{name}-identity",
            email_identity=domain,
            dkim_signing_attributes=aws.sesv2.EmailIdentityDkimSigningAttributesArgs(next_signing_key_length="RSA_2048_BIT"),
            region=region,
            tags=tags,
            opts=child,
        )
        def tokens_of(attributes: Any) -> list[str]:
            return dkim_tokens(attributes, domain)

        tokens: pulumi.Output[list[str]] = self.identity.dkim_signing_attributes.apply(tokens_of)
        planned = [
            PlannedRecord(f"dkim-{i}", "CNAME", tokens.apply(functools.partial(_dkim_record, domain, i)))
            for i in range(3)
        ]
        # Custom MAIL FROM: MX + SPF on the subdomain only.
        self.mail_from = aws.sesv2.EmailIdentityMailFromAttributes(
            f"{name}-mail-from",
            email_identity=self.identity.email_identity,
            mail_from_domain=mail_from_domain(domain, p.mail_from_subdomain),
            behavior_on_mx_failure="USE_DEFAULT_VALUE",
            region=region,
            opts=child,
        )
        mx, spf = mail_from_records(domain, p.mail_from_subdomain, region)
        planned += [PlannedRecord("mail-from-mx", "MX", known(mx)), PlannedRecord("mail-from-spf", "TXT", known(spf))]
        planned += dmarc_planned(tenant)
        self.dns_resources, self.dns_records, self.dns_to_create = publish(name, planned, p.dns, self)

        # Configuration set (suppression of bounced/complained addresses), events to SNS.
        set_name = configuration_set_name(tenant_key, p)
        self.configuration_set = aws.sesv2.ConfigurationSet(
            f"{name}-configuration-set",
            configuration_set_name=set_name,
            reputation_options=aws.sesv2.ConfigurationSetReputationOptionsArgs(reputation_metrics_enabled=True),
            sending_options=aws.sesv2.ConfigurationSetSendingOptionsArgs(sending_enabled=True),
            suppression_options=aws.sesv2.ConfigurationSetSuppressionOptionsArgs(suppressed_reasons=list(p.suppression.reasons)),
            region=region,
            tags=tags,
            opts=child,
        )
        self.account_suppression: aws.sesv2.AccountSuppressionAttributes | None = None
        if p.suppression.account_level:
            self.account_suppression = aws.sesv2.AccountSuppressionAttributes(
                f"{name}-account-suppression", suppressed_reasons=list(p.suppression.reasons), region=region, opts=child
            )
        self.events_topic: aws.sns.Topic | None = None
        self.feedback: aws.sesv2.EmailIdentityFeedbackAttributes | None = None
        # Bounces and complaints reach SNS: SES may then stop mailing them to the sender (it only
        # allows that when the identity itself notifies a topic for both).
        feedback_to_sns = p.events.enabled and {"BOUNCE", "COMPLAINT"} <= set(p.events.types)
        if p.events.enabled and p.events.types:
            self.events_topic = aws.sns.Topic(
                f"{name}-events", name=f"logto-email-{tenant_key}-ses-events", region=region, tags=tags, opts=child
            )
            sources = [self.configuration_set.arn] + ([self.identity.arn] if feedback_to_sns else [])
            policy = aws.sns.TopicPolicy(
                f"{name}-events-policy",
                arn=self.events_topic.arn,
                policy=pulumi.Output.all(self.events_topic.arn, *sources).apply(lambda a: topic_policy(*a)),
                region=region,
                opts=child,
            )
            if feedback_to_sns:
                notify = [
                    aws.ses.IdentityNotificationTopic(
                        f"{name}-{kind.lower()}-notifications",
                        identity=self.identity.email_identity,
                        notification_type=kind,
                        topic_arn=self.events_topic.arn,
                        include_original_headers=False,
                        region=region,
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
                    )
                    for kind in ("Bounce", "Complaint")
                ]
                self.feedback = aws.sesv2.EmailIdentityFeedbackAttributes(
                    f"{name}-feedback",
                    email_identity=self.identity.email_identity,
                    email_forwarding_enabled=False,
                    region=region,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=notify),
                )
            aws.sesv2.ConfigurationSetEventDestination(
                f"{name}-events-to-sns",
                configuration_set_name=self.configuration_set.configuration_set_name,
                event_destination_name="logto-email-events",
                event_destination=aws.sesv2.ConfigurationSetEventDestinationEventDestinationArgs(
                    enabled=True,
                    matching_event_types=list(p.events.types),
                    sns_destination=aws.sesv2.ConfigurationSetEventDestinationEventDestinationSnsDestinationArgs(
                        topic_arn=self.events_topic.arn
                    ),
                ),
                region=region,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )

        self._alarms(name, tenant_key, p, set_name, region, tags)

        # The sender: send-only, scoped to identity + configuration set + From address.
        self.user = aws.iam.User(f"{name}-sender", path="/logto-email/", tags={"logto-email:tenant": tenant_key}, opts=child)
        self.policy = aws.iam.UserPolicy(
            f"{name}-sender-send-only",
            user=self.user.name,
            policy=pulumi.Output.all(self.identity.arn, self.configuration_set.arn).apply(
                lambda a: send_only_policy(a[0], a[1], sender)
            ),
            opts=child,
        )
        # See the module docstring: the rotation number in the name orders new → connector → old.
        self.access_key = aws.iam.AccessKey(
            f"{name}-sender-key-{p.key_rotation}",
            user=self.user.name,
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=False, depends_on=[self.policy]),
        )
        key_id = self.access_key.id
        key_secret: pulumi.Output[str] = pulumi.Output.secret(self.access_key.secret)
        creds: dict[str, Any] = {"accessKeyId": key_id, "secretAccessKey": key_secret}
        if isinstance(p, SesSmtpProvider):
            smtp_pw: pulumi.Output[str | None] = pulumi.Output.secret(
                key_secret.apply(lambda s: smtp_password(s, region) if s else None))
            creds |= {"smtpUsername": key_id, "smtpPassword": smtp_pw}
            self.generated: dict[str, Any] = {"smtp_username": key_id, "smtp_password": smtp_pw}
        else:
            self.generated = {
                "access_key_id": key_id,
                "secret_access_key": key_secret,
                "configuration_set_name": self.configuration_set.configuration_set_name,
                "identity_arn": self.identity.arn,
            }
        creds_json: pulumi.Output[str] = pulumi.Output.all(**creds).apply(lambda c: json.dumps(c, sort_keys=True))
        secret_json: pulumi.Output[str] = pulumi.Output.secret(creds_json)
        self.credentials = aws.secretsmanager.Secret(
            f"{name}-sender-credentials",
            name_prefix=f"logto-email/{tenant_key}/ses-sender-",
            description=f"SES send-only credentials of the Logto email sender {sender}",
            region=region,
            opts=child,
        )
        self.credentials_version = aws.secretsmanager.SecretVersion(
            f"{name}-sender-credentials-{p.key_rotation}",
            secret_id=self.credentials.id,
            secret_string=secret_json,
            region=region,
            opts=child,
        )

        records = pulumi.Output.all(*[pl.record for pl in planned])
        self.readiness = ses_readiness(
            self.identity.email_identity, region, p.readiness, production, records,
            after=[r.id for r in self.dns_resources] + [self.mail_from.id],
        )
        self.register_outputs({
            "identityArn": self.identity.arn,
            "configurationSetName": self.configuration_set.configuration_set_name,
            "senderUser": self.user.name,
            "accessKeyId": key_id,
            "credentialsSecretArn": self.credentials.arn,
            "eventsTopicArn": self.events_topic.arn if self.events_topic else None,
            "alertsTopicArn": self.alerts_topic.arn if self.alerts_topic else None,
            "alarmNames": [a.name for a in self.alarms],
            "dnsRecords": self.dns_records,
        })

    def _alarms(self, name: str, tenant_key: str, p: AwsSesProvider | SesSmtpProvider, set_name: str, region: str,
                tags: dict[str, str]) -> None:
        """The alerts topic, its subscribers, and one CloudWatch alarm per `all_alarms` definition."""
        self.alerts_topic: aws.sns.Topic | None = None
        self.alarms: list[aws.cloudwatch.MetricAlarm] = []
        self.alert_subscriptions: list[aws.sns.TopicSubscription] = []
        definitions = all_alarms(tenant_key, p.alarms, set_name)
        if not definitions:
            return
        child = pulumi.ResourceOptions(parent=self)
        self.alerts_topic = aws.sns.Topic(f"{name}-alerts", name=alerts_topic_name(tenant_key), region=region, tags=tags, opts=child)
        for i, address in enumerate(p.alerts.emails):
            self.alert_subscriptions.append(aws.sns.TopicSubscription(
                f"{name}-alerts-email-{i}", topic=self.alerts_topic.arn, protocol="email", endpoint=address,
                region=region, opts=child,
            ))
        for i, url in enumerate(p.alerts.webhooks):
            # The URL usually carries a token: a secret in state, never in an output.
            self.alert_subscriptions.append(aws.sns.TopicSubscription(
                f"{name}-alerts-webhook-{i}", topic=self.alerts_topic.arn, protocol="https", endpoint=secret(url),
                region=region, opts=child,
            ))
        # Rejects are counted per configuration set only through a CloudWatch event destination.
        metrics = aws.sesv2.ConfigurationSetEventDestination(
            f"{name}-events-to-cloudwatch",
            configuration_set_name=self.configuration_set.configuration_set_name,
            event_destination_name=METRICS_DESTINATION,
            event_destination=aws.sesv2.ConfigurationSetEventDestinationEventDestinationArgs(
                enabled=True,
                matching_event_types=["REJECT", "BOUNCE", "COMPLAINT"],
                cloud_watch_destination=aws.sesv2.ConfigurationSetEventDestinationEventDestinationCloudWatchDestinationArgs(
                    dimension_configurations=[
                        aws.sesv2.ConfigurationSetEventDestinationEventDestinationCloudWatchDestinationDimensionConfigurationArgs(
                            dimension_name=CONFIG_SET_DIMENSION, dimension_value_source="MESSAGE_TAG", default_dimension_value=set_name,
                        )
                    ]
                ),
            ),
            region=region,
            opts=child,
        )
        for d in definitions:
            self.alarms.append(aws.cloudwatch.MetricAlarm(
                f"{name}-alarm-{d.key}",
                name=d.name,
                alarm_description=d.description,
                namespace=NAMESPACE,
                metric_name=d.metric,
                dimensions=d.dimensions or None,
                statistic=d.statistic,
                period=p.alarms.period_seconds,
                evaluation_periods=1,
                threshold=d.threshold,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",  # no mail sent, nothing to worry about
                alarm_actions=[self.alerts_topic.arn],
                ok_actions=[self.alerts_topic.arn],
                region=region,
                tags={**tags, "logto-email:level": d.level},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[metrics] if d.dimensions else []),
            ))


def create(name: str, tenant_key: str, tenant: TenantSpec, *, production: bool, parent: pulumi.Resource) -> ProviderResult:
    c = SesDomain(name, tenant_key=tenant_key, tenant=tenant, production=production, opts=pulumi.ResourceOptions(parent=parent))
    return ProviderResult(
        component=c,
        generated=c.generated,
        waits_for=[c.identity, c.mail_from, c.policy, c.access_key, c.configuration_set, *c.dns_resources],
        dns_records=c.dns_records,
        dns_to_create=c.dns_to_create,
        readiness=c.readiness,
        exports={
            "alertsTopicArn": c.alerts_topic.arn if c.alerts_topic else None,
            "alarmNames": [a.name for a in c.alarms],
            "eventsTopicArn": c.events_topic.arn if c.events_topic else None,
            "configurationSetName": c.configuration_set.configuration_set_name,
        },
    )
