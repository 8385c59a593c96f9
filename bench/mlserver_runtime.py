"""An MLServer custom runtime serving the demo sales chain written by hand.

Runs inside MLServer's own virtualenv (bench/serve.py builds it), so it imports
neither catena nor Django: the six fitted scikit-learn objects come pickled from
the bench, and ``predict`` is ``catena.reference.direct`` copied out.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlserver import MLModel
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput

BASE = ("ridge", "forest", "boost")


class SalesChain(MLModel):  # type: ignore[misc]
    async def load(self) -> bool:
        folder = Path(__file__).parent
        self.estimators = pickle.loads((folder / "estimators.pkl").read_bytes())
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        columns: dict[str, Any] = {}
        for item in payload.inputs:
            data = item.data.root if hasattr(item.data, "root") else item.data
            columns[item.name] = list(data)
        frame = pd.DataFrame(columns)
        est = self.estimators
        scaled = est["scale"].transform(est["encode"].transform(frame))
        stacked = np.column_stack([est[b].predict(scaled) for b in BASE])
        sales = np.asarray(est["stack"].predict(stacked), dtype="float64")
        output = ResponseOutput(
            name="prediction", shape=[len(sales)], datatype="FP64", data=sales.tolist()
        )
        return InferenceResponse(model_name=self.name, outputs=[output])
