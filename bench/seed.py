"""The seed-style reference: the tutorial's way of streaming — one message and one JSON object
per record — through the stack rtviz runs on (daphne, Channels, channels-redis, Redis).

    daphne bench.seed:application                    # the server: every socket joins a group
    python -m bench.seed --rate 100 --count 1000     # the publisher: one group_send a record

The publisher writes no database rows (rtviz's path does), so the reference is, if anything,
faster than the tutorial would be. Prints the `Done:` line generate_spend prints.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rtviz.settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402 - after setup
from channels.layers import get_channel_layer  # noqa: E402

from feeds.generator import DEFAULT_NAMES, GENERATED_PAY_TYPES  # noqa: E402

GROUP = "seed"


class SeedConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.send(text_data='{"type":"history_end"}')  # the bench clients wait for it

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def seed_record(self, event: dict[str, str]) -> None:
        await self.send(text_data=event["text"])


application = SeedConsumer.as_asgi()


def record_json(rng: random.Random, record_id: int) -> str:
    return json.dumps(
        {
            "type": "record",
            "id": record_id,
            "name": rng.choice(DEFAULT_NAMES),
            "spent": f"{rng.randint(100, 14999) / 100:.2f}",
            "year": rng.randint(2012, 2015),
            "pay_type": str(rng.choice(GENERATED_PAY_TYPES)),
            "quantity": rng.randint(1, 3),
            "total": f"{rng.randint(3000, 99999) / 100:.2f}",
            "tip": f"{rng.randint(1000, 9999) / 100:.2f}",
            "created": time.time() * 1000,
        }
    )


async def publish(rate: float, count: int) -> None:
    layer = get_channel_layer()
    rng = random.Random(1)
    started = next_send = time.monotonic()
    for record_id in range(1, count + 1):
        text = record_json(rng, record_id)
        await layer.group_send(GROUP, {"type": "seed.record", "text": text})
        next_send += 1 / rate
        await asyncio.sleep(max(0.0, next_send - time.monotonic()))
    elapsed = time.monotonic() - started
    print(
        f"Done: {count} records written ({count / elapsed:.1f}/s), "
        f"{count} batches broadcast, 0 broadcast failures",
        flush=True,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--count", type=int, required=True)
    options = parser.parse_args()
    asyncio.run(publish(options.rate, options.count))
