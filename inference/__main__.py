"""Command line: python -m inference {segment,evaluate,train,bench,split} ...

Errors about the user's input (files, checkpoints, datasets) print one line
naming the file and the problem, and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from inference.errors import InferenceError


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", type=Path, help="model checkpoint (default: the model shipped in the package)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 ...")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m inference", description="SCR-Net polyp segmentation")
    sub = parser.add_subparsers(dest="command", required=True)

    seg = sub.add_parser("segment", help="segment a video, an image or a folder of images")
    seg.add_argument("input", type=Path)
    seg.add_argument("--out", type=Path, required=True, help="output folder")
    seg.add_argument("--threshold", type=_probability, default=0.5, help="probability threshold of the mask (0..1)")
    seg.add_argument("--batch", type=_positive, default=8, help="frames per model call")
    seg.add_argument(
        "--fast",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="use the compiled fast path (default: on for videos)",
    )
    seg.add_argument("--no-overlay", action="store_true", help="do not write overlay.mp4 for videos")
    _add_common(seg)

    ev = sub.add_parser("evaluate", help="IoU, Dice, SE, SP and FPS on a dataset folder")
    ev.add_argument("--data", type=Path, required=True, help="folder with images/ and masks/")
    ev.add_argument("--split", default="test", choices=["train", "val", "test", "all"])
    ev.add_argument("--split-file", type=Path, help="split file (default: the Kvasir-SEG split in the package)")
    ev.add_argument("--limit", type=int, default=0, help="score only the first N images (smoke tests)")
    ev.add_argument("--threshold", type=_probability, default=0.5)
    ev.add_argument("--batch", type=_positive, default=8)
    ev.add_argument("--fast", action="store_true", help="evaluate the compiled fast path instead of eager fp32")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    _add_common(ev)

    tr = sub.add_parser("train", help="train a model with the paper's recipe")
    tr.add_argument("--data", type=Path, required=True)
    tr.add_argument("--out", type=Path, required=True, help="run folder: best.pt, last.pt, history.json, curves.png")
    tr.add_argument("--variant", default="scrnet")
    tr.add_argument("--split-file", type=Path)
    tr.add_argument("--size", type=int, default=448)
    tr.add_argument("--epochs", type=_positive, default=150)
    tr.add_argument("--batch", type=_positive, default=8)
    tr.add_argument("--lr", type=float, default=1e-3)
    tr.add_argument("--seed", type=int, default=2021)
    tr.add_argument("--device", default="auto")
    tr.add_argument("--no-amp", action="store_true", help="train in fp32 even where bf16 is available")
    tr.add_argument("--time-budget", type=float, default=0.0, help="seconds; stop after the epoch that passes it")
    tr.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    tr.add_argument("--no-progress", action="store_true")

    be = sub.add_parser("bench", help="parameters, GFLOPs and frames per second")
    be.add_argument("--size", type=int, default=448)
    be.add_argument("--batch", type=_positive, default=1)
    be.add_argument("--variant", help="random weights of this architecture instead of the checkpoint's model")
    be.add_argument("--iters", type=int, default=30)
    be.add_argument("--device", default="auto")
    be.add_argument("--video", type=Path, help="also time the engine end to end on this video")
    be.add_argument("--max-frames", type=int, default=0, help="with --video: stop after this many frames")
    be.add_argument("--checkpoint", type=Path, help="model to run (default: the shipped one)")
    be.add_argument("--dice", action="store_true", help="also score fp32 and each int8 candidate on Kvasir-SEG test")
    be.add_argument("--start", action="store_true", help="also time a fresh process to its first result, cold/warm")
    be.add_argument("--json", action="store_true")

    sp = sub.add_parser("split", help="write the fixed 700/100/200 split file of a dataset (once)")
    sp.add_argument("--data", type=Path, required=True)
    sp.add_argument("--out", type=Path, help="split file (default: the package's Kvasir-SEG split)")
    sp.add_argument("--force", action="store_true", help="overwrite an existing split file")
    sv = sub.add_parser("sample-video", help="write a synthetic colonoscopy-like MP4 (demo without datasets)")
    sv.add_argument("path", type=Path)
    sv.add_argument("--frames", type=int, default=75)
    return parser


def cmd_sample_video(args: argparse.Namespace) -> int:
    from inference.synthetic import write_sample_video

    print(f"wrote {write_sample_video(args.path, frames=args.frames)}")
    return 0


def _print_result(result: dict, as_json: bool) -> None:
    """One JSON object (for scripts), or one aligned `key: value` line each (for people)."""
    if as_json:
        print(json.dumps(result))
    else:
        width = max(map(len, result))
        for key, value in result.items():
            print(f"{key:>{width}}: {value}")


def cmd_train(args: argparse.Namespace) -> int:
    from inference.data import DEFAULT_SPLIT_FILE
    from inference.train import TrainConfig, train

    cfg = TrainConfig(
        data=str(args.data),
        out=str(args.out),
        variant=args.variant,
        split_file=str(args.split_file or DEFAULT_SPLIT_FILE),
        size=args.size,
        epochs=args.epochs,
        batch_size=args.batch,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
        amp=not args.no_amp,
        time_budget_s=args.time_budget,
    )
    summary = train(cfg, resume=args.resume, progress=not args.no_progress)
    print(json.dumps(summary))
    return 0


def cmd_split(args: argparse.Namespace) -> int:
    from inference.data import DEFAULT_SPLIT_FILE, list_samples, make_split, write_split

    out = args.out or DEFAULT_SPLIT_FILE
    if out.exists() and not args.force:
        raise InferenceError(f"{out}: split file exists; every run reuses it (pass --force to replace it)")
    digest = write_split(out, make_split([s.id for s in list_samples(args.data)]))
    print(f"wrote {out} (sha256 {digest})")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from inference.evaluate import evaluate_folder

    result = evaluate_folder(
        args.data,
        split=args.split,
        split_file=args.split_file,
        checkpoint=args.checkpoint,
        device=args.device,
        threshold=args.threshold,
        batch=args.batch,
        limit=args.limit,
        fast=args.fast,
        progress=not args.json,
    )
    _print_result(result, args.json)
    return 0


def cmd_segment(args: argparse.Namespace) -> int:
    from inference.segment import segment_path

    summary = segment_path(
        args.input,
        args.out,
        checkpoint=args.checkpoint,
        device=args.device,
        threshold=args.threshold,
        batch=args.batch,
        fast=args.fast,
        overlay=not args.no_overlay,
    )
    print(json.dumps(summary))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from inference.bench import run_bench

    result = run_bench(
        size=args.size,
        batch=args.batch,
        variant=args.variant,
        iters=args.iters,
        device=args.device,
        checkpoint=str(args.checkpoint) if args.checkpoint else None,
        dice=args.dice,
        start=args.start,
    )
    if args.video:
        from inference.bench import run_engine_bench

        result["engine"] = run_engine_bench(
            str(args.video),
            checkpoint=args.checkpoint,
            device=args.device,
            batch=max(args.batch, 8),
            max_frames=args.max_frames,
        )
    _print_result(result, args.json)
    return 0


COMMANDS = {
    "train": cmd_train,
    "split": cmd_split,
    "evaluate": cmd_evaluate,
    "segment": cmd_segment,
    "bench": cmd_bench,
    "sample-video": cmd_sample_video,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except InferenceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
