package org.vestibule.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vestibule.error.MatrixException;
import org.vestibule.media.ThumbnailSize.Method;
import org.vestibule.support.TestImages;

/** Thumbnail sizes as the spec recommends them, and making them with ImageIO. */
class ThumbnailRendererTests {

    @TempDir
    Path dir;

    Path file(byte[] bytes) throws IOException {
        Path f = Files.createTempFile(dir, "img", ".bin");
        Files.write(f, bytes);
        return f;
    }

    @Test
    void theSmallestRecommendedSizeAtLeastAsLargeAsAsked() {
        assertThat(ThumbnailSize.choose(10, 10, Method.CROP)).isEqualTo(new ThumbnailSize(32, 32, Method.CROP));
        assertThat(ThumbnailSize.choose(32, 32, Method.CROP)).isEqualTo(new ThumbnailSize(32, 32, Method.CROP));
        assertThat(ThumbnailSize.choose(64, 40, Method.CROP)).isEqualTo(new ThumbnailSize(96, 96, Method.CROP));
        assertThat(ThumbnailSize.choose(200, 200, Method.CROP)).isEqualTo(new ThumbnailSize(320, 240, Method.CROP));
        assertThat(ThumbnailSize.choose(5000, 5000, Method.CROP)).isEqualTo(new ThumbnailSize(800, 600, Method.CROP));
        assertThat(ThumbnailSize.choose(96, 96, Method.SCALE)).isEqualTo(new ThumbnailSize(320, 240, Method.SCALE));
        assertThat(ThumbnailSize.choose(321, 100, Method.SCALE)).isEqualTo(new ThumbnailSize(640, 480, Method.SCALE));
        assertThat(ThumbnailSize.choose(800, 600, Method.SCALE)).isEqualTo(new ThumbnailSize(800, 600, Method.SCALE));
        assertThat(ThumbnailSize.choose(1920, 1080, Method.SCALE)).isEqualTo(new ThumbnailSize(800, 600, Method.SCALE));
        assertThat(Method.of(null)).isEqualTo(Method.SCALE);
        assertThat(Method.of("Crop")).isEqualTo(Method.CROP);
        assertThatThrownBy(() -> Method.of("zoom")).isInstanceOf(MatrixException.class)
                .hasMessageContaining("'crop' or 'scale'");
    }

    @Test
    void cropsAndScalesWithoutUpscaling() throws Exception {
        Path png = file(TestImages.png(1000, 500));
        ThumbnailRenderer.Rendered crop = ThumbnailRenderer.render(png, new ThumbnailSize(96, 96, Method.CROP), 1 << 25);
        assertThat(crop.contentType()).isEqualTo("image/png");
        assertDimensions(crop, 96, 96);
        ThumbnailRenderer.Rendered scale = ThumbnailRenderer.render(png, new ThumbnailSize(320, 240, Method.SCALE), 1 << 25);
        assertDimensions(scale, 320, 160);

        Path jpeg = file(TestImages.jpeg(300, 900));
        ThumbnailRenderer.Rendered jcrop = ThumbnailRenderer.render(jpeg, new ThumbnailSize(320, 240, Method.CROP), 1 << 25);
        assertThat(jcrop.contentType()).isEqualTo("image/jpeg");
        // Wide crop box of a tall image narrower than the box: the width stays 300, never upscaled.
        assertDimensions(jcrop, 300, 240);
        assertDimensions(ThumbnailRenderer.render(jpeg, new ThumbnailSize(800, 600, Method.SCALE), 1 << 25), 200, 600);

        Path small = file(TestImages.png(20, 10));
        assertDimensions(ThumbnailRenderer.render(small, new ThumbnailSize(320, 240, Method.SCALE), 1 << 25), 20, 10);
        assertDimensions(ThumbnailRenderer.render(small, new ThumbnailSize(32, 32, Method.CROP), 1 << 25), 20, 10);

        Path gif = file(TestImages.gif(400, 400));
        ThumbnailRenderer.Rendered still = ThumbnailRenderer.render(gif, new ThumbnailSize(32, 32, Method.CROP), 1 << 25);
        assertThat(still.contentType()).isEqualTo("image/png");
        assertDimensions(still, 32, 32);
    }

    @Test
    void largeSourcesAreSubsampledAndStillCorrect() throws Exception {
        Path big = file(TestImages.jpeg(4000, 3000));
        assertDimensions(ThumbnailRenderer.render(big, new ThumbnailSize(32, 32, Method.CROP), 1 << 25), 32, 32);
        assertDimensions(ThumbnailRenderer.render(big, new ThumbnailSize(640, 480, Method.SCALE), 1 << 25), 640, 480);
    }

    @Test
    void decompressionBombsAreRefusedFromTheHeader() throws Exception {
        Path bomb = file(TestImages.pngClaiming(50_000, 50_000));
        assertThat(bomb.toFile().length()).isLessThan(200);
        ThumbnailRenderer.Probe probe = ThumbnailRenderer.probe(bomb);
        assertThat(probe.width()).isEqualTo(50_000);
        assertThatThrownBy(() -> ThumbnailRenderer.render(bomb, new ThumbnailSize(32, 32, Method.CROP), 33_554_432))
                .isInstanceOf(ThumbnailRenderer.TooManyPixelsException.class)
                .hasMessageContaining("2500000000 pixels");
    }

    @Test
    void garbageIsUndecodable() throws Exception {
        Path text = file("hello, not an image".getBytes());
        assertThatThrownBy(() -> ThumbnailRenderer.probe(text)).isInstanceOf(ThumbnailRenderer.UndecodableException.class);
        byte[] png = TestImages.png(100, 100);
        byte[] truncated = Arrays.copyOf(png, 60);
        Path broken = file(truncated);
        assertThatThrownBy(() -> ThumbnailRenderer.render(broken, new ThumbnailSize(32, 32, Method.CROP), 1 << 25))
                .isInstanceOf(ThumbnailRenderer.UndecodableException.class);
    }

    static void assertDimensions(ThumbnailRenderer.Rendered rendered, int width, int height) {
        assertThat(rendered.width()).isEqualTo(width);
        assertThat(rendered.height()).isEqualTo(height);
        BufferedImage image = TestImages.decode(rendered.bytes());
        assertThat(image.getWidth()).isEqualTo(width);
        assertThat(image.getHeight()).isEqualTo(height);
    }
}
