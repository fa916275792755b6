"""How near a student of a teacher style must come, and what it would need to see.

The distilled students that leave the tone steps and ink to the engine (the comic pair) learn the teacher's flat
frame (L0 smoothing and median); the engine then draws the steps and lines on their output, and those amplify every
difference in the flat frame into whole steps. This benchmark measures the teacher's own flattening with less to go
on, against the teacher: run on the frame at a fraction of its size, and run on tiles that see only a margin of the
frame around them. Each view's flat frame and the finished frame drawn on it are scored against the teacher's, beside
the shipped students' (network and region flattening; the engine's finished output), so the report says how near the
flat frame must come for a PSNR target on the finished one and how much context that takes.

    python -m benchmarks.cartoonize.bound --data data/cartoonize --out benchmarks/cartoonize

Writes OUT/BOUND_REPORT.md and OUT/bound.png (docs/TRAINING.md, "How near the comic students must come").
"""
