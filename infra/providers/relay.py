"""The email relay (`provider: relay`): Logto's HTTP email connector → relay → the tenant's upstream.

With `endpoint:` the relay runs elsewhere (e.g. `python -m relay` on 127.0.0.1) and nothing is
created. With `aws:` the program deploys it, in the relay's region:
- its own `ec2.Vpc` with a public subnet (internet gateway, `ec2.NatGateway` on an `ec2.Eip`)
  and a private subnet routed through the NAT gateway: every call the relay makes leaves from
  the Elastic IP, the address the upstream allowlists (exported as `relayEgressIp`);
- a DynamoDB table (reached through a gateway endpoint) so one code is sent once across instances;
- the relay's config (tokens, upstream credentials, sender, branding) as one
  `secretsmanager.Secret`, read by the function at cold start; never in an environment variable;
- an `iam.Role` that may only write its logs, attach to its subnet, read that one secret, use
  that one table and, for an SES upstream, send as the sender through the one identity;
- the code (`relay/`, `connectors/`, the tenant's template directory) plus a dependency layer
  built from uv.lock (`python -m relay.package`), a `lambda_.FunctionUrl` in front (the relay
  checks the bearer token itself), a log group with retention, and alarms.
The connector gets the Function URL and `Bearer <tokens[0]>`, and is test-sent like any other.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pulumi

from connectors.stack.models import RelayProvider, RelaySesUpstream, TenantSpec
from infra.providers.base import ProviderResult
from infra.providers.settings_only import create_for, tenant_summary

PROJECT_DIR = Path(__file__).resolve().parents[2]
RUNTIME = "python3.11"
HANDLER = "relay.aws_lambda.handler"
CONFIG_SECRET_ENV = "RELAY_CONFIG_SECRET"
PACKAGED_TEMPLATES = "tenant_templates"  # the tenant's template directory inside the function's code
SEND_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]
# A function in a VPC needs these to attach its network interface; AWS allows no narrower resource.
ENI_ACTIONS = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
               "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]


def split_cidr(cidr: str) -> tuple[str, str]:
    """(public, private) halves of the relay's VPC range."""
    public, private = list(ipaddress.ip_network(cidr).subnets(prefixlen_diff=1))
    return str(public), str(private)


def identity_arn(upstream: RelaySesUpstream, account_id: str, sender_domain: str) -> str:
    return upstream.identity_arn or f"arn:aws:ses:{upstream.region}:{account_id}:identity/{sender_domain}"


def role_policy(*, log_group_arn: str, secret_arn: str, table_arn: str, ses_identity_arn: str | None,
                configuration_set_arn: str | None, sender: str) -> str:
    """Everything the relay's role may do: its logs, its network interface, its secret, its
    idempotency table, and sending."""
    statements: list[dict[str, Any]] = [
        {"Sid": "OwnIdempotencyTable", "Effect": "Allow", "Resource": table_arn,
         "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]},
        {"Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [log_group_arn, f"{log_group_arn}:*"]},
        {"Sid": "AttachToItsSubnet", "Effect": "Allow", "Action": ENI_ACTIONS, "Resource": "*"},
        {"Sid": "ReadOwnConfig", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": secret_arn},
    ]
    if ses_identity_arn:
        statements.append({
            "Sid": "SendAsLogtoSenderOnly", "Effect": "Allow", "Action": SEND_ACTIONS,
            "Resource": [ses_identity_arn, *([configuration_set_arn] if configuration_set_arn else [])],
            "Condition": {"StringEquals": {"ses:FromAddress": sender}},
        })
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def relay_config_json(tenant: TenantSpec, *, idempotency_table: str, region: str) -> str:
    """The relay's config as the function reads it from Secrets Manager (secrets in clear: a secret)."""
    from relay.config import RelayIdempotency, from_tenant, to_json

    templates = tenant.templates
    if templates.directory:
        templates = templates.model_copy(update={"directory": PACKAGED_TEMPLATES})
    shared = RelayIdempotency.model_validate({"dynamodbTable": idempotency_table, "region": region})
    return to_json(from_tenant(tenant, templates=templates, idempotency=shared))


class EmailRelay(pulumi.ComponentResource):
    """The relay on AWS Lambda with a fixed egress IP; `generated` holds its endpoint."""

    def __init__(self, name: str, *, tenant_key: str, tenant: TenantSpec, project_dir: Path = PROJECT_DIR,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logto-email:providers:EmailRelay", name, None, opts)
        import pulumi_aws as aws

        p = tenant.provider
        assert isinstance(p, RelayProvider) and p.aws is not None and tenant.sender is not None
        spec, region = p.aws, p.aws.region
        child = pulumi.ResourceOptions(parent=self)
        tags = {"logto-email:tenant": tenant_key, "logto-email:part": "relay"}
        zone = spec.availability_zone or f"{region}a"
        public_cidr, private_cidr = split_cidr(spec.vpc_cidr)

        # Network: private subnet → NAT gateway (Elastic IP) → internet gateway.
        self.vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=spec.vpc_cidr, enable_dns_support=True, enable_dns_hostnames=True,
                               tags=tags, region=region, opts=child)
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=tags, region=region, opts=child)
        public = aws.ec2.Subnet(f"{name}-public", vpc_id=self.vpc.id, cidr_block=public_cidr, availability_zone=zone,
                                map_public_ip_on_launch=False, tags=tags, region=region, opts=child)
        private = aws.ec2.Subnet(f"{name}-private", vpc_id=self.vpc.id, cidr_block=private_cidr, availability_zone=zone,
                                 map_public_ip_on_launch=False, tags=tags, region=region, opts=child)
        self.eip = aws.ec2.Eip(f"{name}-egress-ip", domain="vpc", tags=tags, region=region, opts=child)
        self.nat = aws.ec2.NatGateway(f"{name}-nat", allocation_id=self.eip.allocation_id, subnet_id=public.id,
                                      connectivity_type="public", tags=tags, region=region,
                                      opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]))
        public_rt = aws.ec2.RouteTable(f"{name}-public-routes", vpc_id=self.vpc.id, tags=tags, region=region, opts=child,
                                       routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)])
        private_rt = aws.ec2.RouteTable(f"{name}-private-routes", vpc_id=self.vpc.id, tags=tags, region=region, opts=child,
                                        routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=self.nat.id)])
        routes = [
            aws.ec2.RouteTableAssociation(f"{name}-public-routes", subnet_id=public.id, route_table_id=public_rt.id, region=region, opts=child),
            aws.ec2.RouteTableAssociation(f"{name}-private-routes", subnet_id=private.id, route_table_id=private_rt.id, region=region, opts=child),
        ]
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=self.vpc.id, description="logto-email relay: outbound only", tags=tags, region=region, opts=child,
            egress=[aws.ec2.SecurityGroupEgressArgs(protocol="tcp", from_port=p_, to_port=p_, cidr_blocks=["0.0.0.0/0"],
                                                    description=what)
                    for p_, what in ((443, "HTTPS APIs, Secrets Manager"), (587, "SMTP submission"), (465, "SMTPS"), (25, "SMTP"))
                    ] + ([aws.ec2.SecurityGroupEgressArgs(protocol="tcp", from_port=p.upstream.port, to_port=p.upstream.port,
                                                          cidr_blocks=["0.0.0.0/0"], description="SMTP upstream")]
                         if p.upstream.type == "smtp" and p.upstream.port not in (443, 587, 465, 25) else []),
        )

        # One send per code across instances: a table (DynamoDB TTL expires the rows), reached
        # through a gateway endpoint (free, and not through the NAT gateway).
        table_name = f"logto-email-{tenant_key}-relay"
        self.table = aws.dynamodb.Table(
            f"{name}-idempotency", name=table_name, hash_key="k", billing_mode="PAY_PER_REQUEST",
            attributes=[aws.dynamodb.TableAttributeArgs(name="k", type="S")],
            ttl=aws.dynamodb.TableTtlArgs(attribute_name="expires", enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            tags=tags, region=region, opts=child)
        aws.ec2.VpcEndpoint(f"{name}-dynamodb", vpc_id=self.vpc.id, service_name=f"com.amazonaws.{region}.dynamodb",
                            vpc_endpoint_type="Gateway", route_table_ids=[private_rt.id], tags=tags, region=region, opts=child)

        # Config secret (tokens and upstream credentials).
        self.secret = aws.secretsmanager.Secret(
            f"{name}-config", name_prefix=f"logto-email/{tenant_key}/relay-", region=region, tags=tags, opts=child,
            description=f"logto-email relay config of tenant {tenant_key}: tokens, upstream credentials")
        self.secret_version = aws.secretsmanager.SecretVersion(
            f"{name}-config", secret_id=self.secret.id, secret_string=pulumi.Output.secret(relay_config_json(tenant, idempotency_table=table_name, region=region)),
            region=region, opts=child)

        # Role: logs, network interface, its secret, sending (SES only).
        function_name = f"logto-email-{tenant_key}-relay"
        self.log_group = aws.cloudwatch.LogGroup(f"{name}-logs", name=f"/aws/lambda/{function_name}",
                                                 retention_in_days=spec.log_retention_days, tags=tags, region=region, opts=child)
        self.role = aws.iam.Role(f"{name}-role", path="/logto-email/", tags=tags, opts=child, assume_role_policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }))
        up = p.upstream
        ses = isinstance(up, RelaySesUpstream)
        account = aws.get_caller_identity_output().account_id if ses else pulumi.Output.from_input("")
        assert tenant.sender is not None  # the schema requires a sender for a relay
        sender_email = tenant.sender.email
        sender_domain = sender_email.rsplit("@", 1)[1]
        ses_up = up if isinstance(up, RelaySesUpstream) else None

        def policy(a: list[Any]) -> str:
            return role_policy(
                log_group_arn=a[0], secret_arn=a[1], table_arn=a[3],
                ses_identity_arn=identity_arn(ses_up, a[2], sender_domain) if ses_up else None,
                configuration_set_arn=(f"arn:aws:ses:{ses_up.region}:{a[2]}:configuration-set/{ses_up.configuration_set_name}"
                                       if ses_up and ses_up.configuration_set_name else None),
                sender=sender_email,
            )

        self.policy = aws.iam.RolePolicy(
            f"{name}-role-policy", role=self.role.id, opts=child,
            policy=pulumi.Output.all(self.log_group.arn, self.secret.arn, account, self.table.arn).apply(policy))

        # Code: this project's relay + core + the tenant's templates; dependencies as a layer.
        package = project_dir / spec.package
        if not package.is_file():
            raise pulumi.RunError(f"tenant {tenant_key}: relay package {spec.package} not found; build it with "
                                  f"`uv run python -m relay.package --out {spec.package}` (from uv.lock)")
        self.layer = aws.lambda_.LayerVersion(
            f"{name}-deps", layer_name=f"logto-email-{tenant_key}-relay-deps", code=pulumi.FileArchive(str(package)),
            compatible_runtimes=[RUNTIME], compatible_architectures=["x86_64"], region=region, opts=child)
        code: dict[str, Any] = {
            "relay": pulumi.FileArchive(str(project_dir / "relay")),
            "connectors": pulumi.FileArchive(str(project_dir / "connectors")),
        }
        if tenant.templates.directory:
            code[PACKAGED_TEMPLATES] = pulumi.FileArchive(str(project_dir / tenant.templates.directory))
        self.function = aws.lambda_.Function(
            f"{name}-function", name=function_name, runtime=RUNTIME, handler=HANDLER, role=self.role.arn,
            code=pulumi.AssetArchive(code), layers=[self.layer.arn], memory_size=spec.memory_mb,
            timeout=20, architectures=["x86_64"], tags=tags, region=region,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(subnet_ids=[private.id], security_group_ids=[sg.id]),
            # The secret's version id (not its content) makes a config change start fresh instances.
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={
                CONFIG_SECRET_ENV: self.secret.arn, "RELAY_CONFIG_VERSION": self.secret_version.version_id}),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=self.log_group.name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy, self.log_group, self.nat, *routes]),
        )
        self.url = aws.lambda_.FunctionUrl(f"{name}-url", function_name=self.function.name, authorization_type="NONE",
                                           region=region, opts=child)
        # A public Function URL needs both permissions; the relay itself refuses calls without a token.
        invoke = [
            aws.lambda_.Permission(f"{name}-url-invoke", action="lambda:InvokeFunctionUrl", function=self.function.name,
                                   principal="*", function_url_auth_type="NONE", region=region, opts=child),
            aws.lambda_.Permission(f"{name}-invoke-via-url", action="lambda:InvokeFunction", function=self.function.name,
                                   principal="*", invoked_via_function_url=True, region=region, opts=child),
        ]

        # Alarms: failed sends (from the relay's log line), function errors, throttles.
        self.alarm_topic = None
        actions: list[Any] = []
        if spec.alarm_email:
            self.alarm_topic = aws.sns.Topic(f"{name}-alarms", tags=tags, region=region, opts=child)
            aws.sns.TopicSubscription(f"{name}-alarms-email", topic=self.alarm_topic.arn, protocol="email",
                                      endpoint=spec.alarm_email, region=region, opts=child)
            actions = [self.alarm_topic.arn]
        namespace = "LogtoEmail/Relay"
        aws.cloudwatch.LogMetricFilter(
            f"{name}-upstream-failures", log_group_name=self.log_group.name, pattern='"send 50"', region=region, opts=child,
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                name=f"{tenant_key}-upstream-failures", namespace=namespace, value="1", default_value="0"))
        alarms = [
            ("upstream-failures", namespace, f"{tenant_key}-upstream-failures", {}, "the upstream refused or did not answer"),
            ("errors", "AWS/Lambda", "Errors", {"FunctionName": function_name}, "the relay function failed"),
            ("throttles", "AWS/Lambda", "Throttles", {"FunctionName": function_name}, "the relay function was throttled"),
        ]
        for key, ns, metric, dims, what in alarms:
            aws.cloudwatch.MetricAlarm(
                f"{name}-alarm-{key}", namespace=ns, metric_name=metric, dimensions=dims or None, statistic="Sum",
                period=300, evaluation_periods=1, threshold=1, comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching", alarm_description=f"logto-email relay of {tenant_key}: {what}",
                alarm_actions=actions, ok_actions=actions, tags=tags, region=region, opts=child)

        self.waits_for = [self.function, self.url, *invoke, self.secret_version, self.nat, *routes]
        self.register_outputs({"egressIp": self.eip.public_ip, "endpoint": self.url.function_url,
                               "configSecretArn": self.secret.arn})


def create(name: str, tenant_key: str, tenant: TenantSpec, *, production: bool, parent: pulumi.Resource) -> ProviderResult:
    p = tenant.provider
    assert isinstance(p, RelayProvider)
    if p.aws is None:  # a relay the user runs: nothing to create, its endpoint goes to the connector
        return create_for("EmailRelay", name, tenant_summary(tenant), parent)
    c = EmailRelay(name, tenant_key=tenant_key, tenant=tenant, opts=pulumi.ResourceOptions(parent=parent))
    return ProviderResult(
        component=c,
        generated={"relay_endpoint": c.url.function_url},
        waits_for=c.waits_for,
        exports={"relayEgressIp": c.eip.public_ip, "relayEndpoint": c.url.function_url},
    )
