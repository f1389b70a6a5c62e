// OpenBLAS's CBLAS interface (cblas_dgemm for the dense layers). Debian: libopenblas-dev.
#include <cblas.h>
