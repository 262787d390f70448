"""mmrsfm.utils.image_io: every unreadable image file (missing, empty, truncated, not an image)
ends in one error type whose message names the file."""
import cv2
import numpy as np
import pytest

from mmrsfm.utils.image_io import UNREADABLE_IMAGE_ERRORS, UnreadableImageError, read_image


def test_read_image_names_every_unreadable_file(tmp_path):
    good = tmp_path / 'good.png'
    image = (np.random.RandomState(0).rand(20, 30, 3) * 255).astype(np.uint8)
    cv2.imwrite(str(good), image)
    np.testing.assert_array_equal(read_image(str(good), 'bgr'), image)
    assert read_image(str(good)).shape == (20, 30, 3)

    empty = tmp_path / 'empty.png'
    empty.write_bytes(b'')
    truncated = tmp_path / 'truncated.png'
    truncated.write_bytes(good.read_bytes()[:40])
    text = tmp_path / 'notes.jpg'
    text.write_text('not an image')
    for path, reason in ((empty, 'empty file'), (truncated, 'not a decodable image'),
                         (text, 'not a decodable image')):
        with pytest.raises(UnreadableImageError, match=f'{path.name}: {reason}'):
            read_image(str(path))
    with pytest.raises(FileNotFoundError, match='gone.png'):
        read_image(str(tmp_path / 'gone.png'))
    assert issubclass(UnreadableImageError, UNREADABLE_IMAGE_ERRORS)
