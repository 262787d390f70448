"""Class lists and palettes of the three SAMRS subsets (SOTA, SIOR, FAST).

The class order is the order of the label indices in the released label PNGs (index ``i`` in a
``gray/`` PNG is ``CLASSES[i]``; 255 marks pixels no box covered). Shared by the segmentation
datasets, the SAM label generation pipeline and multi-head pretraining.
"""
from typing import Dict, List, Tuple

#: SOTA: DOTA-v2.0 trainval cut to 1024 x 1024 px, 18 classes.
SOTA_CLASSES: Tuple[str, ...] = (
    'large-vehicle', 'swimming-pool', 'helicopter', 'bridge', 'plane', 'ship',
    'soccer-ball-field', 'basketball-court', 'ground-track-field', 'small-vehicle',
    'baseball-diamond', 'tennis-court', 'roundabout', 'storage-tank', 'harbor', 'container-crane',
    'airport', 'helipad')

#: SIOR: DIOR, 800 x 800 px, 20 classes.
SIOR_CLASSES: Tuple[str, ...] = (
    'airplane', 'airport', 'baseballfield', 'basketballcourt', 'bridge', 'chimney',
    'expressway-service-area', 'expressway-toll-station', 'dam', 'golffield', 'groundtrackfield',
    'harbor', 'overpass', 'ship', 'stadium', 'storagetank', 'tenniscourt', 'trainstation',
    'vehicle', 'windmill')

#: FAST: FAIR1M-2.0 train + val, 37 fine-grained classes.
FAST_CLASSES: Tuple[str, ...] = (
    'A220', 'A321', 'A330', 'A350', 'ARJ21', 'Baseball-Field', 'Basketball-Court', 'Boeing737',
    'Boeing747', 'Boeing777', 'Boeing787', 'Bridge', 'Bus', 'C919', 'Cargo-Truck',
    'Dry-Cargo-Ship', 'Dump-Truck', 'Engineering-Ship', 'Excavator', 'Fishing-Boat',
    'Football-Field', 'Intersection', 'Liquid-Cargo-Ship', 'Motorboat', 'other-airplane',
    'other-ship', 'other-vehicle', 'Passenger-Ship', 'Roundabout', 'Small-Car', 'Tennis-Court',
    'Tractor', 'Trailer', 'Truck-Tractor', 'Tugboat', 'Van', 'Warship')

SAMRS_CLASSES: Dict[str, Tuple[str, ...]] = {
    'sota': SOTA_CLASSES,
    'sior': SIOR_CLASSES,
    'fast': FAST_CLASSES,
}

#: Label value of pixels no instance covers (ignored in training and evaluation).
IGNORE_INDEX = 255


def make_palette(num_classes: int) -> List[List[int]]:
    """Distinct RGB colours for ``num_classes`` labels (golden-ratio hue steps, fixed order).

    Deterministic, so a class keeps its colour across runs and tools.

    Args:
        num_classes (int): Number of labels.

    Returns:
        list[list[int]]: ``num_classes`` colours ``[R, G, B]`` in 0-255.

    Examples:
        >>> make_palette(2)
        [[242, 36, 36], [27, 71, 178]]
    """
    import colorsys
    palette = []
    for i in range(num_classes):
        hue = (i * 0.618033988749895) % 1.0
        value = 0.95 if i % 2 == 0 else 0.7
        r, g, b = colorsys.hsv_to_rgb(hue, 0.85, value)
        palette.append([int(round(r * 255)), int(round(g * 255)), int(round(b * 255))])
    return palette


def samrs_metainfo(subset: str) -> dict:
    """``dict(classes=..., palette=...)`` of a SAMRS subset (``'sota'``, ``'sior'``, ``'fast'``).

    Args:
        subset (str): The subset name, case-insensitive.

    Returns:
        dict: ``classes`` (tuple of str, in label order) and ``palette`` (one ``[R, G, B]`` per
        class, from :func:`make_palette`).

    Raises:
        KeyError: If ``subset`` is not a SAMRS subset.

    Examples:
        >>> len(samrs_metainfo('SIOR')['classes'])
        20
    """
    key = subset.lower()
    if key not in SAMRS_CLASSES:
        raise KeyError(f'unknown SAMRS subset {subset!r}; expected one of {sorted(SAMRS_CLASSES)}')
    classes = SAMRS_CLASSES[key]
    return dict(classes=classes, palette=make_palette(len(classes)))
