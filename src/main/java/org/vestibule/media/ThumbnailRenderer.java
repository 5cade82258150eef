package org.vestibule.media;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Thumbnails with the JDK's own ImageIO and Java 2D, no native code: PNG, JPEG and GIF (its first
 * frame) in; JPEG out for JPEG sources, PNG otherwise. The dimensions come from the reader before
 * anything is decoded, so a small file claiming a huge image (a decompression bomb) is refused
 * without allocating it; large sources are subsampled while decoding.
 */
final class ThumbnailRenderer {

    static {
        ImageIO.setUseCache(false); // no temporary files: sources are bounded by the pixel limit
    }

    /** The source's format and size, read from its header. */
    record Probe(String format, int width, int height) {
        boolean jpeg() {
            return format.equals("jpeg");
        }
    }

    /** A thumbnail made. */
    record Rendered(byte[] bytes, String contentType, int width, int height) {}

    /** The content is not an image we can decode. */
    static final class UndecodableException extends Exception {
        UndecodableException(String message) {
            super(message);
        }
    }

    /** The image has more pixels than we decode. */
    static final class TooManyPixelsException extends Exception {
        TooManyPixelsException(long pixels, long limit) {
            super("the image has " + pixels + " pixels, more than the " + limit + " this server decodes");
        }
    }

    private ThumbnailRenderer() {}

    /** Format and dimensions, from the header only. */
    static Probe probe(Path file) throws UndecodableException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader reader = reader(in);
            try {
                return probe(reader);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new UndecodableException("it cannot be read as an image (" + e.getMessage() + ")");
        }
    }

    /**
     * A thumbnail of {@code size} (never upscaled).
     *
     * @throws TooManyPixelsException when the source has more than {@code maxPixels} pixels
     */
    static Rendered render(Path file, ThumbnailSize size, long maxPixels)
            throws UndecodableException, TooManyPixelsException {
        BufferedImage source;
        Probe probe;
        int[] target;
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader reader = reader(in);
            try {
                probe = probe(reader);
                long pixels = (long) probe.width() * probe.height();
                if (pixels > maxPixels) {
                    throw new TooManyPixelsException(pixels, maxPixels);
                }
                target = size.method() == ThumbnailSize.Method.SCALE ? size.outputFor(probe.width(), probe.height())
                        : size.scaledForCrop(probe.width(), probe.height());
                ImageReadParam param = reader.getDefaultReadParam();
                // Read every n-th pixel while still at least twice the target: less memory, and the
                // scaling below smooths what is left.
                int step = Math.max(1, Math.min(probe.width() / (2 * target[0]), probe.height() / (2 * target[1])));
                if (step > 1) {
                    param.setSourceSubsampling(step, step, 0, 0);
                }
                source = reader.read(0, param);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new UndecodableException("it cannot be decoded as an image (" + e.getMessage() + ")");
        }
        boolean jpeg = probe.jpeg();
        BufferedImage scaled = scale(source, target[0], target[1], jpeg);
        if (size.method() == ThumbnailSize.Method.CROP) {
            int w = Math.min(size.width(), scaled.getWidth());
            int h = Math.min(size.height(), scaled.getHeight());
            scaled = copy(scaled.getSubimage((scaled.getWidth() - w) / 2, (scaled.getHeight() - h) / 2, w, h), jpeg);
        }
        try {
            return new Rendered(jpeg ? jpeg(scaled) : png(scaled), jpeg ? "image/jpeg" : "image/png", scaled.getWidth(),
                    scaled.getHeight());
        } catch (IOException e) {
            throw new UndecodableException("its thumbnail could not be encoded (" + e.getMessage() + ")");
        }
    }

    private static ImageReader reader(ImageInputStream in) throws IOException {
        if (in == null) {
            throw new IOException("no such file");
        }
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new IOException("not a PNG, JPEG or GIF image");
        }
        ImageReader reader = readers.next();
        reader.setInput(in, true, true);
        return reader;
    }

    private static Probe probe(ImageReader reader) throws IOException {
        String format = reader.getFormatName().toLowerCase(Locale.ROOT);
        if (format.equals("jpg")) {
            format = "jpeg";
        }
        if (!format.equals("png") && !format.equals("jpeg") && !format.equals("gif")) {
            throw new IOException("a " + format + " image, not PNG, JPEG or GIF");
        }
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if (width <= 0 || height <= 0) {
            throw new IOException("the image has no pixels");
        }
        return new Probe(format, width, height);
    }

    /** Halves while more than twice too large (each step bilinear), then one bicubic step to the size. */
    private static BufferedImage scale(BufferedImage image, int width, int height, boolean opaque) {
        BufferedImage current = copy(image, opaque);
        while (current.getWidth() / 2 >= width && current.getHeight() / 2 >= height) {
            current = draw(current, current.getWidth() / 2, current.getHeight() / 2, opaque,
                    RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        }
        if (current.getWidth() != width || current.getHeight() != height) {
            current = draw(current, width, height, opaque, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        }
        return current;
    }

    private static BufferedImage copy(BufferedImage image, boolean opaque) {
        return draw(image, image.getWidth(), image.getHeight(), opaque, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    }

    private static BufferedImage draw(BufferedImage image, int width, int height, boolean opaque, Object interpolation) {
        BufferedImage out = new BufferedImage(width, height, opaque ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, interpolation);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            if (opaque) {
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, width, height);
            }
            g.drawImage(image, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    private static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", out)) {
            throw new IOException("no PNG writer");
        }
        return out.toByteArray();
    }

    private static byte[] jpeg(BufferedImage image) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.85f);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
