"""Offline data tooling: the libraries behind ``tools/dataset_converters/`` and ``tools/samrs/``.

Nothing that training imports (``mmrsfm.models``, ``mmrsfm.datasets``, ``mmrsfm.evaluation``,
``mmrsfm.engine``) imports from here; these modules run before training, once per dataset.

* :mod:`.conversion` - split, crop, rasterise and convert released datasets into the layouts the
  dataset classes read (DOTA patches, DIOR COCO, Potsdam / iSAID patches, SpaceNet masks,
  scene-classification splits).
* :mod:`.curation` - the OpticalRS-13M curation pipeline and the application of a reviewed
  de-duplication (needs ``pip install "mmrsfm[curation]"``).
* :mod:`.subsets` - seeded, nested random subsets of an OpticalRS-13M index (data-scaling study).
* :mod:`.sam_labels` - SAMRS label generation with Segment Anything (needs
  ``pip install "mmrsfm[samrs]"``).
"""
