#pragma once
double dot(const double* a, const double* b, int n);
