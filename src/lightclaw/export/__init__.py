"""Training exports from one trajectory pool (SPEC §5): SFT, DPO, GRPO, verl, LLaMA-Factory,
self-correction and SPA writers, distillation filters and the data card.

Shared blocks: :mod:`.conversation` (episodes as chat messages), :mod:`.rows` (row models),
:mod:`.writers` (validated streaming writers) and :mod:`.pool` (selection, filters, split).
"""
