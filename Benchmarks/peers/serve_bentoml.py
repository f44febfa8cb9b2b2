"""Peer of `lepton-credit serve`: the same scorecard as a BentoML service.
Run: LEPTON_SCORECARD_JSON=card.json bentoml serve serve_bentoml:CreditScorecard --port 3000"""
import bentoml

from scorecard_model import load


@bentoml.service(workers=1)
class CreditScorecard:
    def __init__(self):
        self.card = load()

    @bentoml.api(route="/v1/score")
    def score(self, record: dict) -> dict:
        return self.card.score(record)
