#pragma once
int clamp_count(const int *v, int n, int lo, int hi);
