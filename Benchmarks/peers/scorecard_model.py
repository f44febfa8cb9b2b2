"""The scorecard a served peer applies to one applicant: the bins, points, score, pd, decision and
reason codes of `lepton-credit serve`, from the card `lepton-credit export --format json` writes.
Shared by serve_fastapi.py and serve_bentoml.py (plain Python per record: what a team would
write to serve one applicant per request)."""
import bisect
import json
import math
import os


class Scorecard:
    def __init__(self, path, reasons=4):
        card = json.load(open(path))
        self.base_points = card["base_points"]
        self.offset, self.factor, self.cutoff = card["offset"], card["factor"], card["cutoff"]
        self.missing = set(card["missing_tokens"])
        self.reasons = reasons
        self.characteristics = []
        for ch in card["characteristics"]:
            bins = ch["bins"]
            entry = {"name": ch["name"], "kind": ch["kind"], "bins": bins, "best": max(b["points"] for b in bins),
                     "missing": next(i for i, b in enumerate(bins) if b["kind"] == "missing")}
            if ch["kind"] == "numeric":
                ranges = [i for i, b in enumerate(bins) if b["kind"] == "range"]
                entry["ranges"] = ranges
                entry["uppers"] = [bins[i]["upper"] for i in ranges[:-1]]
                entry["specials"] = {float(b["special"]): i for i, b in enumerate(bins) if b["kind"] == "special"}
            else:
                mapping, other = {}, None
                for i, b in enumerate(bins):
                    if b["kind"] == "categories":
                        for c in b["categories"]:
                            mapping[c] = i
                        if b.get("includes_other"):
                            other = i
                    elif b["kind"] == "special":
                        mapping[b["special"]] = i
                    elif b["kind"] == "other":
                        other = i
                entry["mapping"], entry["other"] = mapping, other
            self.characteristics.append(entry)

    def bin(self, ch, value):
        if value is None or str(value).strip().lower() in self.missing:
            return ch["missing"]
        if ch["kind"] == "numeric":
            number = float(value)  # ValueError for text: the caller answers 400
            if number in ch["specials"]:
                return ch["specials"][number]
            return ch["ranges"][bisect.bisect_right(ch["uppers"], number)]
        text = str(value)
        return ch["mapping"].get(text, ch["other"])

    def score(self, record, row=1):
        bins = [self.bin(ch, record[ch["name"]]) for ch in self.characteristics]
        points = [ch["bins"][b]["points"] for ch, b in zip(self.characteristics, bins)]
        score = self.base_points + sum(points)
        pd = 1 / (1 + math.exp((score - self.offset) / self.factor))
        approved = score >= self.cutoff
        answer = {"row": str(row), "pd": round(pd, 6), "score": score, "decision": "approve" if approved else "decline"}
        losses = []
        if not approved:
            losses = sorted(((ch["best"] - p, k) for k, (ch, p) in enumerate(zip(self.characteristics, points)) if ch["best"] - p > 0),
                            key=lambda t: (-t[0], t[1]))
        for k in range(self.reasons):
            if k < len(losses):
                lost, j = losses[k]
                ch = self.characteristics[j]
                label = ch["bins"][bins[j]]["label"]
                how = f"in {label}" if ch["kind"] == "numeric" else f"is {label}"
                answer[f"reason_{k + 1}"] = f"{ch['name']} {how}: {lost} points below the best bin"
            else:
                answer[f"reason_{k + 1}"] = None
        return answer


def load():
    return Scorecard(os.environ["LEPTON_SCORECARD_JSON"], int(os.environ.get("LEPTON_REASONS", "4")))
