"""Demo data: CRM and billing exports of a Dutch B2B services firm, with the ground truth behind them."""

from dealledger.demo.clock import AS_OF
from dealledger.demo.generator import generate_demo

__all__ = ["AS_OF", "generate_demo"]
