"""One send per (to, type, code, link) over the code's lifetime, even when Logto's request repeats.

Two layers: `Deduplicator` in memory (requests to this process; a repeat arriving while the first
is in flight waits for it) and, when configured, `DynamoStore`, shared by every instance of a
deployed relay (Lambda runs several). Keys are HMAC digests, so neither the memory nor the table
reveals an address or a code. If the table cannot be reached the relay sends anyway: a second
email is better than none.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger("relay")

Send = Callable[[], Awaitable[bool]]  # True: sent now; False: someone else had sent it


class Deduplicator:
    """One send per key over `ttl` seconds within this process."""

    def __init__(self, ttl: float, key: bytes, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._key = key
        self._done: dict[str, float] = {}
        self._inflight: dict[str, asyncio.Event] = {}
        self._next_purge = 0.0

    def key(self, *parts: str) -> str:
        return hmac.new(self._key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()

    def _purge(self, now: float) -> None:
        if now > self._next_purge:
            self._done = {k: exp for k, exp in self._done.items() if exp > now}
            self._next_purge = now + 30

    async def once(self, key: str, send: Send) -> bool:
        """Run `send` unless it already succeeded for `key`; True when this call sent."""
        while True:
            now = self.clock()
            self._purge(now)
            if self._done.get(key, 0) > now:
                return False
            event = self._inflight.get(key)
            if event is None:
                break
            await event.wait()
        event = self._inflight[key] = asyncio.Event()
        try:
            sent = await send()
            self._done[key] = self.clock() + self.ttl
            return sent
        finally:
            del self._inflight[key]
            event.set()


class SharedStore(Protocol):
    async def once(self, key: str, send: Send) -> bool: ...


class DynamoStore:
    """A DynamoDB table (hash key `k`, TTL attribute `expires`) shared by all relay instances.

    Claim with a conditional put (`inflight`, expiring after the send budget), send, then mark
    `done` for the code's lifetime; a failed send deletes the claim so Logto's retry can send.
    """

    def __init__(self, table: str, region: str, *, ttl: float, budget: float, endpoint: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self.table, self.ttl, self.budget = table, ttl, budget
        config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=2,
                        max_pool_connections=50)
        self.client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint, config=config)

    def _claim(self, key: str, now: float) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.put_item(
                TableName=self.table,
                Item={"k": {"S": key}, "state": {"S": "inflight"}, "expires": {"N": str(int(now + self.budget + 5))}},
                ConditionExpression="attribute_not_exists(k) OR expires < :now",
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
            )
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise

    def _state(self, key: str, now: float) -> str | None:
        item = self.client.get_item(TableName=self.table, Key={"k": {"S": key}}, ConsistentRead=True).get("Item")
        if not item or int(item["expires"]["N"]) < now:
            return None
        return item["state"]["S"]

    def _finish(self, key: str, sent: bool) -> None:
        if sent:
            self.client.put_item(TableName=self.table, Item={
                "k": {"S": key}, "state": {"S": "done"}, "expires": {"N": str(int(time.time() + self.ttl))}})
        else:
            self.client.delete_item(TableName=self.table, Key={"k": {"S": key}})

    async def once(self, key: str, send: Send) -> bool:
        deadline = time.monotonic() + self.budget + 10
        try:
            while True:
                now = time.time()
                if await asyncio.to_thread(self._claim, key, now):
                    break
                state = await asyncio.to_thread(self._state, key, now)
                if state == "done":
                    return False
                if time.monotonic() > deadline:  # the other instance never finished: its claim lapses
                    raise TimeoutError("an earlier send of this message is still in progress")
                await asyncio.sleep(0.1)
        except TimeoutError:
            raise
        except Exception as exc:  # noqa: BLE001 - the table is an aid; never a reason not to send
            log.warning("idempotency table unavailable (%s): sending without it", type(exc).__name__)
            return await send()
        try:
            sent = await send()
        except BaseException:
            await _quietly(self._finish, key, False)
            raise
        await _quietly(self._finish, key, sent)
        return sent


async def _quietly(fn: Callable[..., Any], *args: Any) -> None:
    try:
        await asyncio.to_thread(fn, *args)
    except Exception as exc:  # noqa: BLE001
        log.warning("idempotency table update failed (%s)", type(exc).__name__)


def make_shared_store(config: Any) -> DynamoStore | None:
    spec = config.idempotency
    if spec is None:
        return None
    return DynamoStore(spec.dynamodb_table, spec.region, ttl=config.code_ttl_seconds,
                       budget=config.limits.budget_seconds, endpoint=spec.endpoint)
