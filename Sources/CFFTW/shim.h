// FFTW3 (double precision) for the Γ-method autocorrelation analysis. Debian: libfftw3-dev.
#include <fftw3.h>
