"""Peer of `lepton-credit serve`: the same scorecard behind FastAPI + uvicorn.
Run: LEPTON_SCORECARD_JSON=card.json uvicorn serve_fastapi:app --port 8000 --workers 1"""
from fastapi import FastAPI, HTTPException, Request

from scorecard_model import load

app = FastAPI()
card = load()


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/v1/score")
async def score(request: Request):
    record = await request.json()
    try:
        if isinstance(record, list):
            return [card.score(r, k + 1) for k, r in enumerate(record)]
        return card.score(record)
    except (KeyError, ValueError, TypeError) as error:
        raise HTTPException(status_code=400, detail=str(error))
