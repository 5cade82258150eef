package org.vestibule.media;

import java.util.List;
import java.util.Locale;
import org.vestibule.error.MatrixException;

/**
 * A thumbnail size we make (spec client-server §Thumbnails: 32x32 and 96x96 crop, 320x240,
 * 640x480 and 800x600 scale). Only these are made, so a media item has at most eight thumbnails
 * however many sizes clients ask for.
 */
record ThumbnailSize(int width, int height, Method method) {

    enum Method {
        CROP("crop"), SCALE("scale");

        private final String id;

        Method(String id) {
            this.id = id;
        }

        String id() {
            return id;
        }

        /** The {@code method} query parameter: crop or scale (the default). */
        static Method of(String value) {
            if (value == null || value.isEmpty()) {
                return SCALE;
            }
            for (Method m : values()) {
                if (m.id.equals(value.toLowerCase(Locale.ROOT))) {
                    return m;
                }
            }
            throw MatrixException.invalidParam("'method' must be 'crop' or 'scale', not '" + value + "'");
        }
    }

    /**
     * Crops at the two crop sizes, then, for larger requests, at the scale sizes' boxes (so a crop
     * is never smaller than asked while the source allows); scales at the scale sizes.
     */
    private static final List<ThumbnailSize> CROP_SIZES = List.of(new ThumbnailSize(32, 32, Method.CROP),
            new ThumbnailSize(96, 96, Method.CROP), new ThumbnailSize(320, 240, Method.CROP),
            new ThumbnailSize(640, 480, Method.CROP), new ThumbnailSize(800, 600, Method.CROP));
    private static final List<ThumbnailSize> SCALE_SIZES = List.of(new ThumbnailSize(320, 240, Method.SCALE),
            new ThumbnailSize(640, 480, Method.SCALE), new ThumbnailSize(800, 600, Method.SCALE));

    /** The smallest size of the method that is at least the requested size; the largest when none is. */
    static ThumbnailSize choose(int width, int height, Method method) {
        List<ThumbnailSize> sizes = method == Method.CROP ? CROP_SIZES : SCALE_SIZES;
        for (ThumbnailSize size : sizes) {
            if (size.width >= width && size.height >= height) {
                return size;
            }
        }
        return sizes.get(sizes.size() - 1);
    }

    /** The dimensions a source of {@code w}×{@code h} comes out at: never upscaled. */
    int[] outputFor(int w, int h) {
        if (method == Method.SCALE) {
            double scale = Math.min(1.0, Math.min((double) width / w, (double) height / h));
            return new int[] {Math.max(1, (int) Math.round(w * scale)), Math.max(1, (int) Math.round(h * scale))};
        }
        int[] scaled = scaledForCrop(w, h);
        return new int[] {Math.min(width, scaled[0]), Math.min(height, scaled[1])};
    }

    /** For a crop: the source scaled to cover this box (never upscaled), before the centre is cut out. */
    int[] scaledForCrop(int w, int h) {
        double scale = Math.min(1.0, Math.max((double) width / w, (double) height / h));
        return new int[] {Math.max(1, (int) Math.round(w * scale)), Math.max(1, (int) Math.round(h * scale))};
    }
}
