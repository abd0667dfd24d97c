package dev.hangar.core.ports;

import dev.hangar.core.builds.FactoryImage;

/** Told of every status change of an image that asked for callbacks (Image Factory's parameters.callbacks). */
public interface BuildNotifier {
    void changed(FactoryImage image);
}
