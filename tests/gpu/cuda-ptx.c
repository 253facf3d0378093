/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A deviceQuery-like check through the CUDA driver API, without the CUDA
 * toolkit: libcuda.so.1 is opened with dlopen (so this builds with any C
 * compiler), every GPU is listed with its name, compute capability and
 * memory, and a PTX kernel (JIT-compiled by the driver, which needs
 * libnvidia-ptxjitcompiler) fills an array that is read back and checked.
 * Prints "CUDA-PTX OK" and exits 0 on success.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext, *CUmodule, *CUfunction, *CUstream;
typedef unsigned long long CUdeviceptr;

static const char ptx[] =
	".version 6.0\n"
	".target sm_50\n"
	".address_size 64\n"
	".visible .entry twice(.param .u64 out, .param .u32 n)\n"
	"{\n"
	"  .reg .pred %p<2>;\n"
	"  .reg .b32 %r<8>;\n"
	"  .reg .b64 %rd<5>;\n"
	"  ld.param.u64 %rd1, [out];\n"
	"  ld.param.u32 %r1, [n];\n"
	"  mov.u32 %r2, %ctaid.x;\n"
	"  mov.u32 %r3, %ntid.x;\n"
	"  mov.u32 %r4, %tid.x;\n"
	"  mad.lo.s32 %r5, %r2, %r3, %r4;\n"
	"  setp.ge.u32 %p1, %r5, %r1;\n"
	"  @%p1 bra DONE;\n"
	"  cvta.to.global.u64 %rd2, %rd1;\n"
	"  mul.wide.u32 %rd3, %r5, 4;\n"
	"  add.s64 %rd4, %rd2, %rd3;\n"
	"  shl.b32 %r6, %r5, 1;\n"
	"  st.global.u32 [%rd4], %r6;\n"
	"DONE:\n"
	"  ret;\n"
	"}\n";

#define N 4096

static void *lib;

static void *sym(const char *name)
{
	void *p = dlsym(lib, name);

	if (!p) {
		fprintf(stderr, "CUDA-PTX FAILED: libcuda has no %s\n", name);
		exit(1);
	}
	return p;
}

#define CHECK(call)                                                                                           \
	do {                                                                                                  \
		CUresult r_ = (call);                                                                         \
		if (r_ != 0) {                                                                                \
			fprintf(stderr, "CUDA-PTX FAILED: %s = %d\n", #call, r_);                             \
			return 1;                                                                             \
		}                                                                                             \
	} while (0)

int main(void)
{
	CUresult (*cuInit)(unsigned);
	CUresult (*cuDriverGetVersion)(int *);
	CUresult (*cuDeviceGetCount)(int *);
	CUresult (*cuDeviceGet)(CUdevice *, int);
	CUresult (*cuDeviceGetName)(char *, int, CUdevice);
	CUresult (*cuDeviceTotalMem)(size_t *, CUdevice);
	CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
	CUresult (*cuCtxCreate)(CUcontext *, unsigned, CUdevice);
	CUresult (*cuModuleLoadData)(CUmodule *, const void *);
	CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
	CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
	CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
				   CUstream, void **, void **);
	CUresult (*cuCtxSynchronize)(void);
	CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
	int count = 0, version = 0;
	static unsigned out[N];

	lib = dlopen("libcuda.so.1", RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "CUDA-PTX FAILED: %s\n", dlerror());
		return 1;
	}
	*(void **)&cuInit = sym("cuInit");
	*(void **)&cuDriverGetVersion = sym("cuDriverGetVersion");
	*(void **)&cuDeviceGetCount = sym("cuDeviceGetCount");
	*(void **)&cuDeviceGet = sym("cuDeviceGet");
	*(void **)&cuDeviceGetName = sym("cuDeviceGetName");
	*(void **)&cuDeviceTotalMem = sym("cuDeviceTotalMem_v2");
	*(void **)&cuDeviceGetAttribute = sym("cuDeviceGetAttribute");
	*(void **)&cuCtxCreate = sym("cuCtxCreate_v2");
	*(void **)&cuModuleLoadData = sym("cuModuleLoadData");
	*(void **)&cuModuleGetFunction = sym("cuModuleGetFunction");
	*(void **)&cuMemAlloc = sym("cuMemAlloc_v2");
	*(void **)&cuLaunchKernel = sym("cuLaunchKernel");
	*(void **)&cuCtxSynchronize = sym("cuCtxSynchronize");
	*(void **)&cuMemcpyDtoH = sym("cuMemcpyDtoH_v2");

	CHECK(cuInit(0));
	CHECK(cuDriverGetVersion(&version));
	CHECK(cuDeviceGetCount(&count));
	printf("CUDA driver API %d.%d, %d device(s)\n", version / 1000, version % 1000 / 10, count);
	if (count < 1) {
		fprintf(stderr, "CUDA-PTX FAILED: no CUDA device\n");
		return 1;
	}
	for (int i = 0; i < count; i++) {
		CUdevice d;
		char name[256];
		size_t mem;
		int major, minor, sms;
		CHECK(cuDeviceGet(&d, i));
		CHECK(cuDeviceGetName(name, sizeof(name), d));
		CHECK(cuDeviceTotalMem(&mem, d));
		CHECK(cuDeviceGetAttribute(&major, 75, d)); /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR */
		CHECK(cuDeviceGetAttribute(&minor, 76, d)); /* ..._MINOR */
		CHECK(cuDeviceGetAttribute(&sms, 16, d));   /* CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT */
		printf("Device %d: %s, compute capability %d.%d, %d SMs, %zu MiB\n", i, name, major, minor, sms,
		       mem >> 20);
	}
	{
		CUdevice d;
		CUcontext ctx;
		CUmodule mod;
		CUfunction fn;
		CUdeviceptr buf;
		unsigned n = N;
		void *params[] = { &buf, &n };
		CHECK(cuDeviceGet(&d, 0));
		CHECK(cuCtxCreate(&ctx, 0, d));
		CHECK(cuModuleLoadData(&mod, ptx));
		CHECK(cuModuleGetFunction(&fn, mod, "twice"));
		CHECK(cuMemAlloc(&buf, sizeof(out)));
		CHECK(cuLaunchKernel(fn, N / 256, 1, 1, 256, 1, 1, 0, NULL, params, NULL));
		CHECK(cuCtxSynchronize());
		CHECK(cuMemcpyDtoH(out, buf, sizeof(out)));
	}
	for (unsigned i = 0; i < N; i++)
		if (out[i] != 2 * i) {
			fprintf(stderr, "CUDA-PTX FAILED: out[%u] = %u, want %u\n", i, out[i], 2 * i);
			return 1;
		}
	printf("CUDA-PTX OK: a PTX kernel JIT-compiled by the driver filled %d values correctly\n", N);
	return 0;
}
