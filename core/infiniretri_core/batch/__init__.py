"""Many documents, many questions: a JSONL job run in-process or on Ray.

```python
from infiniretri_core.batch import EngineSpec, RayOptions, load_records, run

summary = run(load_records("docs.jsonl"), "answers.jsonl", EngineSpec(options={"top_k": 300}))
summary = run(records, "answers.jsonl", EngineSpec(), ray=RayOptions(workers=2))
```
"""

from .job import EngineFactory, EngineSpec, RayOptions, Summary, run
from .output import ResultFile
from .records import BatchRecord, load_records, read_jsonl, record_from_dict
from .work import BatchSettings, answer_record

__all__ = [
    "BatchRecord",
    "BatchSettings",
    "EngineFactory",
    "EngineSpec",
    "RayOptions",
    "ResultFile",
    "Summary",
    "answer_record",
    "load_records",
    "read_jsonl",
    "record_from_dict",
    "run",
]
