"""Offline data tooling: the libraries behind ``tools/dataset_converters/`` and ``tools/samrs/``.

Nothing that training imports (``mmrsfm.models``, ``mmrsfm.datasets``, ``mmrsfm.evaluation``,
``mmrsfm.engine``) imports from here; these modules run before training, once per dataset.

* :mod:`.conversion` - split, crop, rasterise and convert released datasets into the layouts the
  dataset classes read (DOTA patches, DIOR COCO, Potsdam / iSAID patches, SpaceNet masks,
  scene-classification splits).
* :mod:`.curation` - the OpticalRS-13M curation pipeline (needs ``pip install "mmrsfm[curation]"``).
* :mod:`.sam_labels` - SAMRS label generation with Segment Anything (needs
  ``pip install "mmrsfm[samrs]"``).
"""
