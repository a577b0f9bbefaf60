"""The product's original design, as the benchmark's Python reference for /select and
/reward: a FastAPI service on redis-py (asyncio) holding each arm's Beta posterior in
the same Redis keys bandit-service uses (experiment:{<id>}:arm:<k>:alpha / :beta).

  select: one MGET of every alpha and beta, one numpy Beta draw per arm, argmax.
  reward: one MULTI/EXEC pipeline: INCRBYFLOAT alpha by the reward, INCRBYFLOAT beta by
          1 - reward, HINCRBY of the arm's reward count.

What it does not do, and bandit-service does: decision ids (a reward names the decision
it rewards and is counted once), logged propensities, the event stream, the stopping
rule, validation of arm names. The figures compare the cost of the hot path, not
features. Run it with uvicorn (bench/lib/service.js starts it):

  BENCH_REDIS_URL=redis://127.0.0.1:6379/13 uvicorn app:app --port 9200 --workers 1
"""
import os

import numpy as np
import redis.asyncio as redis
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

app = FastAPI()
# a blocking pool: under more concurrent requests than connections, a request waits for a
# free connection (redis-py's default pool raises "Too many connections" past its limit)
store = redis.Redis(
    connection_pool=redis.BlockingConnectionPool.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"), max_connections=64, timeout=10)
)
rng = np.random.default_rng()
# arm names per experiment, read from Redis once per process
arms_cache: dict[str, list[str]] = {}


def key(exp: str, k: int, what: str) -> str:
    return f"experiment:{{{exp}}}:arm:{k}:{what}"


class CreateExperiment(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    arms: list[str] = Field(min_length=2, max_length=100)


class SelectRequest(BaseModel):
    experiment_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")


class RewardRequest(BaseModel):
    experiment_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    arm_index: int = Field(ge=0)
    reward: float = Field(ge=0, le=1)


async def arms_of(exp: str) -> list[str]:
    arms = arms_cache.get(exp)
    if arms is None:
        raw = await store.lrange(f"experiment:{{{exp}}}:arms", 0, -1)
        if not raw:
            raise HTTPException(status_code=404, detail=f"experiment {exp} not found")
        arms = [a.decode() for a in raw]
        arms_cache[exp] = arms
    return arms


@app.post("/experiments", status_code=201)
async def create(body: CreateExperiment):
    async with store.pipeline(transaction=True) as p:
        p.delete(f"experiment:{{{body.id}}}:arms")
        p.rpush(f"experiment:{{{body.id}}}:arms", *body.arms)
        for k in range(len(body.arms)):
            p.set(key(body.id, k, "alpha"), 1)
            p.set(key(body.id, k, "beta"), 1)
        await p.execute()
    arms_cache.pop(body.id, None)
    return {"id": body.id, "arms": body.arms}


@app.post("/select")
async def select(body: SelectRequest):
    arms = await arms_of(body.experiment_id)
    n = len(arms)
    raw = await store.mget([key(body.experiment_id, k, w) for w in ("alpha", "beta") for k in range(n)])
    ab = np.array(raw, dtype=np.float64)
    k = int(np.argmax(rng.beta(ab[:n], ab[n:])))
    return {"experiment_id": body.experiment_id, "arm": arms[k], "arm_index": k}


@app.post("/reward")
async def reward(body: RewardRequest):
    arms = await arms_of(body.experiment_id)
    if body.arm_index >= len(arms):
        raise HTTPException(status_code=400, detail=f"arm_index must be < {len(arms)}")
    async with store.pipeline(transaction=True) as p:
        p.incrbyfloat(key(body.experiment_id, body.arm_index, "alpha"), body.reward)
        p.incrbyfloat(key(body.experiment_id, body.arm_index, "beta"), 1 - body.reward)
        p.hincrby(f"experiment:{{{body.experiment_id}}}:rewards", str(body.arm_index), 1)
        await p.execute()
    return {"experiment_id": body.experiment_id, "arm_index": body.arm_index, "reward": body.reward}
