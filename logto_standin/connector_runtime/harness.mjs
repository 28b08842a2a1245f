// One long-lived Node process that runs the real @logto/connector-* packages for Python callers.
//
// Protocol: JSON lines. Each stdin line is one request `{id, op, ...}`; each stdout line is one
// response `{id, ...}`. Requests run one at a time, in order (a `send` may set process.env for
// its duration, so interleaving would be wrong). The first stdout line is `{"ready": true, ...}`.
// Nothing but responses is written to stdout: console output (nodemailer debug logs, SDK notices)
// goes to stderr, with every secret-looking config value seen so far replaced by `***`.
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { format } from 'node:util';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// ---------------------------------------------------------------------------------------------
// stdout belongs to the protocol; everything else is redacted and sent to stderr.
const writeStdout = process.stdout.write.bind(process.stdout);
const writeStderr = process.stderr.write.bind(process.stderr);
const secrets = new Set();
const SECRET_KEY = /pass|secret|key|token|authori[sz]ation|credential/i;

const rememberSecrets = (value, key = '') => {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key) && value.length >= 4) secrets.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) rememberSecrets(item, key);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) rememberSecrets(v, SECRET_KEY.test(key) ? key : k);
  }
};

const redact = (text) => {
  let out = String(text);
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
};

// Deep copy of a JSON value with every known secret masked (Logto would echo some back: got's
// RequestError carries the request options, Authorization header included).
const redactDeep = (value) => {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)]));
  }
  return value;
};

process.stderr.write = (chunk, ...rest) => writeStderr(redact(chunk), ...rest);
for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
  console[level] = (...args) => writeStderr(redact(format(...args)) + '\n');
}

// ---------------------------------------------------------------------------------------------
// Network: loopback only. SendGrid, Postmark and Aliyun have hard-coded endpoints; without an
// `intercept` for their host a send must fail here rather than reach the real provider.
const { default: nock } = await import('nock');
nock.disableNetConnect();
nock.enableNetConnect((host) => /^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)(:\d+)?$/.test(host));

const { ConnectorError, validateConfig, emailTemplateDetailsGuard } = await import('@logto/connector-kit');

export const FACTORY_PACKAGES = {
  'simple-mail-transfer-protocol': '@logto/connector-smtp',
  'http-email': '@logto/connector-http-email',
  'aws-ses-mail': '@logto/connector-aws-ses',
  'mailgun-email': '@logto/connector-mailgun',
  'sendgrid-email-service': '@logto/connector-sendgrid-email',
  'postmark-mail': '@logto/connector-postmark',
  'aliyun-direct-mail': '@logto/connector-aliyun-dm',
  'logto-email': '@logto/connector-logto-email',
};

const factories = new Map();
const loadFactory = async (factoryId) => {
  const pkg = FACTORY_PACKAGES[factoryId];
  if (!pkg) return undefined;
  if (!factories.has(factoryId)) factories.set(factoryId, (await import(pkg)).default);
  return factories.get(factoryId);
};

const versions = () => {
  const out = {};
  for (const pkg of [...Object.values(FACTORY_PACKAGES), '@logto/connector-kit', 'nock']) {
    const url = new URL(`./node_modules/${pkg}/package.json`, import.meta.url);
    out[pkg] = JSON.parse(readFileSync(url, 'utf8')).version;
  }
  out.node = process.versions.node;
  return out;
};

// ---------------------------------------------------------------------------------------------
// Logto's error shapes (core: RequestError.details / formatZodError, koa-connector-error-handler).
const isZodError = (value) =>
  Boolean(value) && typeof value === 'object' && value.name === 'ZodError' && Array.isArray(value.issues);

const formatZodIssues = (issues) =>
  issues
    .map((issue) => {
      const base = `Error in key path "${issue.path.map(String).join('.')}": (${issue.code}) `;
      return issue.code === 'invalid_type'
        ? `${base}Expected ${issue.expected} but received ${issue.received}.`
        : base + issue.message;
    })
    .join('\n');

// English texts of connector.* error codes (Logto phrases, en).
const MESSAGES = {
  invalid_metadata: "The connector's metadata is invalid.",
  invalid_config_guard: "The connector's config guard is invalid.",
  unexpected_type: "The connector's type is unexpected.",
  invalid_request_parameters: 'The request is with wrong input parameter(s).',
  insufficient_request_parameters: 'The request might miss some input parameters.',
  invalid_config: "The connector's config is invalid.",
  invalid_certificate:
    "The connector's certificate is invalid, please make sure the certificate is in PEM encoding.",
  invalid_response: "The connector's response is invalid.",
  template_not_found: 'Unable to find correct template in connector config.',
  template_not_supported: 'The connector does not support this template type.',
  rate_limit_exceeded: 'Trigger rate limit. Please try again later.',
  usage_limit_exceeded: 'The email service usage limit has been reached.',
  not_implemented: 'sendMessage: has not been implemented yet.',
};

// What Logto's JSON body would carry for `data` (it is serialised with JSON.stringify).
const toJson = (value) => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

const connectorFailure = (error) => {
  if (!(error instanceof ConnectorError)) {
    // Logto answers a non-connector error with 500 "Internal server error.".
    return { ok: false, code: 'internal_error', data: null, message: redact(error?.message ?? String(error)) };
  }
  const data = toJson(error.data);
  const result = { ok: false, code: error.code, data };
  if (error.code === 'invalid_config' && isZodError(error.data)) {
    result.issues = data.issues;
    result.details = formatZodIssues(error.data.issues);
  }
  result.message =
    MESSAGES[error.code] ?? `Error occurred in connector: ${data === null ? '' : JSON.stringify(data)}`;
  return redactDeep(result);
};

// ---------------------------------------------------------------------------------------------
// Operations.
const isJsonObject = (value) => Boolean(value) && typeof value === 'object' && !Array.isArray(value);

const noConfig = async () => {
  throw new ConnectorError('invalid_config', 'The harness always passes the config explicitly.');
};

const validateOne = async (factoryId, config) => {
  const createConnector = await loadFactory(factoryId);
  if (!createConnector) return { ok: false, code: 'unknown_factory', message: `Unknown factory ${factoryId}` };
  rememberSecrets(config);
  if (!isJsonObject(config)) {
    // Logto's body guard (jsonObjectGuard) rejects it before the connector sees it.
    return { ok: false, code: 'invalid_input', issues: [], details: 'config must be a JSON object' };
  }
  const { configGuard } = await createConnector({ getConfig: noConfig });
  try {
    validateConfig(config, configGuard);
    return { ok: true };
  } catch (error) {
    return connectorFailure(error);
  }
};

// The `details` of a /api/email-templates row, checked with connector-kit's own guard.
const validateTemplateDetails = (details) => {
  const result = emailTemplateDetailsGuard.safeParse(details);
  if (result.success) return { ok: true };
  return {
    ok: false,
    code: 'invalid_input',
    issues: toJson(result.error.issues),
    details: formatZodIssues(result.error.issues),
  };
};

// Logto's i18n template lookup: (type, locale) -> (type, fallback) -> (Generic, fallback) -> undefined.
const i18nLookup = (templates, fallbackLanguage) => async (type, locale) => {
  if (!templates) return undefined;
  const candidates = [
    ...(locale ? [`${type}|${locale}`] : []),
    `${type}|${fallbackLanguage}`,
    `Generic|${fallbackLanguage}`,
  ];
  for (const key of candidates) if (templates[key]) return templates[key];
  return undefined;
};

const withEnv = async (env, fn) => {
  if (!env) return fn();
  const saved = {};
  for (const [key, value] of Object.entries(env)) {
    saved[key] = process.env[key];
    process.env[key] = String(value);
  }
  try {
    return await fn();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
};

const send = async ({ factoryId, config, data, env, i18nTemplates, fallbackLanguage = 'en' }) => {
  const createConnector = await loadFactory(factoryId);
  if (!createConnector) return { ok: false, code: 'unknown_factory', message: `Unknown factory ${factoryId}` };
  rememberSecrets(config);
  const connector = await createConnector({
    getConfig: noConfig,
    getI18nEmailTemplate: i18nLookup(i18nTemplates, fallbackLanguage),
  });
  try {
    await withEnv(env, () => connector.sendMessage(data, config));
    return { ok: true };
  } catch (error) {
    return connectorFailure(error);
  }
};

// nock interception of hard-coded provider endpoints, recording what would have been sent.
const DEFAULT_REPLIES = {
  'https://api.sendgrid.com': [202, ''],
  'https://api.postmarkapp.com': [
    200,
    { To: '', SubmittedAt: '2026-01-01T00:00:00Z', MessageID: 'intercepted', ErrorCode: 0, Message: 'OK' },
  ],
};
const ALIYUN_REPLY = [200, { EnvId: 'intercepted', RequestId: 'intercepted' }];
const replies = new Map();
const recordings = [];

const decodeBody = (body, contentType = '') => {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  const record = { body: text };
  if (contentType.includes('application/json')) {
    try {
      record.json = JSON.parse(text);
    } catch {}
  } else if (contentType.includes('application/x-www-form-urlencoded')) {
    record.form = Object.fromEntries(new URLSearchParams(text));
  }
  return record;
};

const intercept = ({ host, status, body }) => {
  const origin = new URL(host).origin;
  const fallback = DEFAULT_REPLIES[origin] ?? (origin.endsWith('.aliyuncs.com') ? ALIYUN_REPLY : [200, '']);
  const isNew = !replies.has(origin);
  replies.set(origin, [status ?? fallback[0], body ?? fallback[1]]);
  if (isNew) {
    nock(origin)
      .persist()
      .post(() => true)
      .reply(function (uri, requestBody) {
        const headers = { ...this.req.headers };
        recordings.push({
          method: this.req.method,
          host: origin,
          path: uri,
          headers,
          ...decodeBody(requestBody, String(headers['content-type'] ?? '')),
        });
        const [replyStatus, replyBody] = replies.get(origin);
        return [replyStatus, typeof replyBody === 'string' ? replyBody : JSON.stringify(replyBody)];
      });
  }
  return { ok: true };
};

const handle = async (request) => {
  switch (request.op) {
    case 'ping':
      return { ok: true, versions: versions() };
    case 'validate':
      return validateOne(request.factoryId, request.config);
    case 'validate_many':
      return {
        ok: true,
        results: await Promise.all(request.items.map(([factoryId, config]) => validateOne(factoryId, config))),
      };
    case 'validate_template_details':
      return { ok: true, results: request.items.map(validateTemplateDetails) };
    case 'send':
      return send(request);
    case 'intercept':
      return intercept(request);
    case 'intercepted': {
      const result = { ok: true, recordings: [...recordings] };
      if (request.clear) recordings.length = 0;
      return result;
    }
    default:
      return { ok: false, code: 'unknown_op', message: `Unknown op ${String(request.op)}` };
  }
};

// ---------------------------------------------------------------------------------------------
// Main loop: strictly sequential.
process.on('unhandledRejection', (reason) => console.error('unhandledRejection:', reason?.message ?? reason));
process.on('uncaughtException', (error) => console.error('uncaughtException:', error?.message ?? error));

const respond = (message) => writeStdout(JSON.stringify(message) + '\n');
let queue = Promise.resolve();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (!line.trim()) return;
  queue = queue.then(async () => {
    let request;
    try {
      request = JSON.parse(line);
    } catch {
      respond({ id: null, ok: false, code: 'bad_request', message: 'Request is not JSON.' });
      return;
    }
    try {
      respond({ id: request.id, ...(await handle(request)) });
    } catch (error) {
      respond({ id: request.id, ok: false, code: 'harness_error', message: redact(error?.stack ?? String(error)) });
    }
  });
});
lines.on('close', () => queue.then(() => process.exit(0)));

respond({ ready: true, versions: versions() });
