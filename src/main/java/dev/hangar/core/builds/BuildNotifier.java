package dev.hangar.core.builds;


/** Told of every status change of an image that asked for callbacks (Image Factory's parameters.callbacks). */
public interface BuildNotifier {
    void changed(FactoryImage image);
}
