# Regenerates data.npz (run with /usr/bin/python3): x = 20 samples of 4
# values evenly spaced over [-1, 3] in row-major order, float32.
import numpy as np
x = np.linspace(-1.0, 3.0, 80, dtype=np.float32).reshape(20, 4)
np.savez("data.npz", x=x)
