// SPDX-License-Identifier: LGPL-2.1-or-later
// deviceQuery-like, through the CUDA runtime (built by tests/gpu/run.sh when
// nvcc is there; cudart is linked statically, the driver comes from the host).
#include <cstdio>
#include <cuda_runtime.h>

__global__ void square(int *v, int n)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		v[i] = i * i;
}

int main()
{
	int count = 0, drv = 0, rt = 0;
	if (cudaGetDeviceCount(&count) != cudaSuccess || count < 1) {
		std::printf("CUDA-RUNTIME FAILED: %s\n", cudaGetErrorString(cudaGetLastError()));
		return 1;
	}
	cudaDriverGetVersion(&drv);
	cudaRuntimeGetVersion(&rt);
	std::printf("CUDA driver %d, runtime %d, %d device(s)\n", drv, rt, count);
	for (int i = 0; i < count; i++) {
		cudaDeviceProp p;
		cudaGetDeviceProperties(&p, i);
		std::printf("Device %d: %s, compute capability %d.%d, %d SMs, %zu MiB\n", i, p.name, p.major, p.minor,
			    p.multiProcessorCount, p.totalGlobalMem >> 20);
	}
	const int n = 1 << 16;
	int *d, *h = new int[n];
	if (cudaMalloc(&d, n * sizeof(int)) != cudaSuccess)
		return 1;
	square<<<n / 256, 256>>>(d, n);
	if (cudaMemcpy(h, d, n * sizeof(int), cudaMemcpyDeviceToHost) != cudaSuccess) {
		std::printf("CUDA-RUNTIME FAILED: %s\n", cudaGetErrorString(cudaGetLastError()));
		return 1;
	}
	for (int i = 0; i < n; i++)
		if (h[i] != i * i) {
			std::printf("CUDA-RUNTIME FAILED: v[%d] = %d\n", i, h[i]);
			return 1;
		}
	std::printf("CUDA-RUNTIME OK\n");
	return 0;
}
