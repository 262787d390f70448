"""Segmentors (mmseg's ``MODELS``)."""
from .multi_head_encoder_decoder import MultiHeadEncoderDecoder

__all__ = ['MultiHeadEncoderDecoder']
