/// Converting decoded samples (the source's own channels, 8- or 16-bit) to the layout a
/// caller asked for, as Float in 0...1. The rules, in order, per pixel:
///
/// 1. Scale: `v / 255` for 8-bit samples, `v / 65535` for 16-bit ones (no gamma applied).
/// 2. Alpha kept (requested layout has alpha): colour is straight (not premultiplied);
///    16-bit sources, which libpng returns premultiplied, are divided back by alpha
///    (exact to the 16-bit step while alpha is near 1; colour is 0 where alpha is 0).
///    A source without alpha gets alpha 1.
/// 3. Alpha dropped (source has alpha, requested layout has not): composite onto the
///    background, `c·a + background·(1 − a)` per channel (black gives premultiplied colour).
/// 4. RGB → gray: `0.299 R + 0.587 G + 0.114 B` (ITU-R BT.601, the weights of Pillow's
///    `convert("L")`); gray → RGB copies the gray level to all three channels.
enum PNGPixels {
    /// The gray level of an RGB colour (BT.601 weights).
    @inline(__always)
    static func luma(_ red: Float, _ green: Float, _ blue: Float) -> Float {
        0.299 * red + 0.587 * green + 0.114 * blue
    }

    /// Writes `pixelCount` pixels of `output` layout to `out` from `source` samples in `layout`.
    static func convert<Stored: FixedWidthInteger & UnsignedInteger>(
        _ source: UnsafePointer<Stored>, layout: PixelLayout, premultiplied: Bool, pixelCount: Int,
        to output: PixelLayout, background: PNGBackground, into out: UnsafeMutablePointer<Float>
    ) {
        let maximum = Float(Stored.max)
        if layout == output && !premultiplied {
            // Same channels: scaling only (the common case, e.g. gray → gray).
            for i in 0..<pixelCount * layout.channels { out[i] = Float(source[i]) / maximum }
            return
        }
        let inChannels = layout.channels, outChannels = output.channels
        let backgroundLuma = background.luma
        for p in 0..<pixelCount {
            let pixel = source + p * inChannels
            var red = Float(pixel[0]) / maximum
            var green = red, blue = red
            if layout.isColor {
                green = Float(pixel[1]) / maximum
                blue = Float(pixel[2]) / maximum
            }
            var alpha: Float = 1
            if layout.hasAlpha {
                alpha = Float(pixel[inChannels - 1]) / maximum
                if output.hasAlpha {
                    if premultiplied { // back to straight colour: c / a, both on the 0...max scale
                        let a = Float(pixel[inChannels - 1])
                        red = a > 0 ? min(Float(pixel[0]) / a, 1) : 0
                        green = layout.isColor ? (a > 0 ? min(Float(pixel[1]) / a, 1) : 0) : red
                        blue = layout.isColor ? (a > 0 ? min(Float(pixel[2]) / a, 1) : 0) : red
                    }
                } else {
                    let uncovered = 1 - alpha
                    let keep = premultiplied ? 1 : alpha // premultiplied colour already holds c·a
                    if layout.isColor || output.isColor {
                        red = red * keep + background.red * uncovered
                        green = green * keep + background.green * uncovered
                        blue = blue * keep + background.blue * uncovered
                    } else {
                        red = red * keep + backgroundLuma * uncovered
                    }
                }
            }
            let target = out + p * outChannels
            if output.isColor {
                target[0] = red
                target[1] = green
                target[2] = blue
            } else {
                target[0] = layout.isColor ? min(luma(red, green, blue), 1) : red
            }
            if output.hasAlpha { target[outChannels - 1] = alpha }
        }
    }

    /// `round(255 · f)` for each `f` in 0...1: the 8-bit form of a Float sample.
    static func quantize(_ values: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<UInt8>) {
        for i in 0..<count { out[i] = UInt8((min(max(values[i], 0), 1) * 255).rounded()) }
    }
}
