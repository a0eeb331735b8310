# Reproduce the shipped model and every figure in BENCHMARKS.md (seed 0 throughout).
PY := .venv/bin/python

.PHONY: model bench accuracy speed baseline encoders train-time replies

model:            ## retrain the shipped model into models/default
	.venv/bin/slmguard train --output models/default

accuracy:         ## held-out test sets, default model
	$(PY) benchmarks/accuracy.py

baseline:         ## the 'before' row: frozen MiniLM, public data only
	$(PY) benchmarks/baseline.py
	$(PY) benchmarks/accuracy.py --model models/trained-baseline --out benchmarks/results/accuracy_baseline.json

speed:
	$(PY) benchmarks/speed.py

encoders:         ## encoder comparison on dev
	$(PY) benchmarks/encoder_choice.py

train-time:       ## a full training run from an empty embedding cache, timed
	$(PY) benchmarks/train_time.py

replies:          ## safeguard replies and the response judge on test sets
	$(PY) benchmarks/replies.py

bench: accuracy baseline speed encoders replies
	$(PY) benchmarks/write_benchmarks_md.py
